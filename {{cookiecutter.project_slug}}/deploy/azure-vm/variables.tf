variable "name" {
  description = "Service name, the prefix of every resource name (the environment is appended)."
  type        = string
  default     = "{{ cookiecutter.project_slug[:19] | trim('-') }}"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,17}[a-z0-9]$", var.name))
    error_message = "name must be 2-19 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment; one Terraform workspace each, so both can coexist."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "subscription_id" {
  description = "Azure subscription to deploy to (deploy.sh sets it from AZURE_SUBSCRIPTION_ID)."
  type        = string

  validation {
    condition     = can(regex("^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$", var.subscription_id))
    error_message = "subscription_id must be a subscription GUID."
  }
}

variable "location" {
  description = "Azure region to deploy to (deploy.sh sets it from AZURE_LOCATION), e.g. westeurope."
  type        = string
  default     = "westeurope"

  validation {
    condition     = can(regex("^[a-z]+[a-z0-9]*$", var.location))
    error_message = "location must be an Azure region name such as westeurope or eastus2."
  }
}

variable "zones" {
  description = "Availability zones the VMs and the load balancer address spread over; [] in a region without zones."
  type        = list(string)
  default     = ["1", "2", "3"]

  validation {
    condition     = alltrue([for zone in var.zones : contains(["1", "2", "3"], zone)])
    error_message = "zones must be a subset of [\"1\", \"2\", \"3\"]."
  }
}

variable "image" {
  description = "Full reference of the service image to run; it must be in this module's registry (registry_login_server/name:tag or @sha256:digest), which deploy.sh copies it to."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$", var.image))
    error_message = "image must be a full image reference with a tag or digest, e.g. myregistry.azurecr.io/name:1.0.0."
  }
}

variable "allowed_cidr" {
  description = "IPv4 CIDR block allowed to reach the service port 8000 (0.0.0.0/0 for a public API). deploy.sh checks /ready from where it runs, so include that address."
  type        = string

  validation {
    condition     = can(cidrhost(var.allowed_cidr, 0)) && !strcontains(var.allowed_cidr, ":")
    error_message = "allowed_cidr must be an IPv4 CIDR block such as 203.0.113.0/24."
  }
}

variable "alert_email" {
  description = "Email address the action group notifies when an alert fires."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an email address."
  }
}

variable "admin_ssh_public_key" {
  description = "OpenSSH public key of the VMs' admin user. No SSH port is open: reach a VM with `az vmss run-command invoke` or Azure Bastion."
  type        = string

  validation {
    condition     = can(regex("^(ssh-rsa|ssh-ed25519|ecdsa-sha2-nistp[0-9]+) [A-Za-z0-9+/=]+", var.admin_ssh_public_key))
    error_message = "admin_ssh_public_key must be an OpenSSH public key (ssh-ed25519 AAAA... or ssh-rsa AAAA...)."
  }
}

variable "vm_size" {
  description = "VM size (x86_64) of the service instances; it must support encryption at host."
  type        = string
  default     = "Standard_D2s_v5"

  validation {
    condition     = can(regex("^Standard_[A-Za-z0-9_]+$", var.vm_size)) && !can(regex("^Standard_[A-Za-z]+[0-9]+[a-z]*p", var.vm_size))
    error_message = "vm_size must be an x86_64 Azure VM size such as Standard_D2s_v5 (Arm sizes need an arm64 image)."
  }
}

variable "min_instances" {
  description = "Minimum number of VMs; keep at least 2 for a highly available service."
  type        = number
  default     = 2

  validation {
    condition     = var.min_instances >= 1 && var.min_instances <= 20
    error_message = "min_instances must be between 1 and 20."
  }
}

variable "max_instances" {
  description = "Maximum number of VMs the scale set grows to on CPU load."
  type        = number
  default     = 4

  validation {
    condition     = var.max_instances >= var.min_instances && var.max_instances <= 50
    error_message = "max_instances must be at least min_instances and at most 50."
  }
}

variable "workers" {
  description = "Server processes per VM (WORKERS); one per vCPU is a good start."
  type        = number
  default     = 2

  validation {
    condition     = var.workers >= 1 && var.workers <= 64
    error_message = "workers must be between 1 and 64."
  }
}

variable "vnet_cidr" {
  description = "IPv4 address space of the virtual network (a /16 to /24); the VM subnet is its first half."
  type        = string
  default     = "10.30.0.0/16"

  validation {
    condition     = can(cidrhost(var.vnet_cidr, 0)) && tonumber(split("/", var.vnet_cidr)[1]) >= 16 && tonumber(split("/", var.vnet_cidr)[1]) <= 24
    error_message = "vnet_cidr must be an IPv4 CIDR block between /16 and /24."
  }
}

variable "capture_reader_cidrs" {
  description = "Public IPv4 addresses or CIDR blocks that may reach the storage account besides the VM subnet, such as the static egress address of the runner of the retrain workflow, which reads the captured predictions and writes the drift report (GitHub-hosted runners have none: use a self-hosted runner or one with a static IP)."
  type        = list(string)
  default     = []

  validation {
    condition = alltrue([
      for cidr in var.capture_reader_cidrs :
      can(cidrhost(strcontains(cidr, "/") ? cidr : "${cidr}/32", 0)) && !strcontains(cidr, ":") && !startswith(cidr, "0.0.0.0")
    ])
    error_message = "capture_reader_cidrs must list public IPv4 addresses or CIDR blocks such as 203.0.113.7 or 203.0.113.0/24, never 0.0.0.0/0."
  }
}

variable "capture_retention_days" {
  description = "Days captured predictions are kept in the storage account before they are deleted."
  type        = number
  default     = 90

  validation {
    condition     = var.capture_retention_days >= 7 && var.capture_retention_days <= 3650
    error_message = "capture_retention_days must be between 7 and 3650."
  }
}

variable "log_retention_days" {
  description = "Retention of the Log Analytics workspace (container logs, VM metrics), in days."
  type        = number
  default     = 90

  validation {
    condition     = var.log_retention_days >= 30 && var.log_retention_days <= 730
    error_message = "log_retention_days must be between 30 and 730."
  }
}

variable "latency_threshold_ms" {
  description = "95th percentile response time of successful POST /predict answers (averaged over the VMs and 5 minutes) above which the latency alert fires, in milliseconds."
  type        = number
  default     = 1000

  validation {
    condition     = var.latency_threshold_ms >= 50 && var.latency_threshold_ms <= 30000
    error_message = "latency_threshold_ms must be between 50 and 30000."
  }
}
