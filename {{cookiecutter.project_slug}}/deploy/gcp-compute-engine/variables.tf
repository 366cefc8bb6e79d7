variable "project_id" {
  description = "ID of the Google Cloud project to deploy to (deploy.sh sets it from GCP_PROJECT)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 lowercase letters, digits or hyphens), not a project name or number."
  }
}

variable "region" {
  description = "Region of the instances, registry and capture bucket (deploy.sh sets it from GCP_REGION)."
  type        = string
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Compute Engine region such as europe-west1 or us-central1, not a zone."
  }
}

variable "environment" {
  description = "Deployment environment; also the Terraform workspace."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be staging or production."
  }
}

variable "image" {
  description = "Service image in this environment's Artifact Registry repository, by tag or digest."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$", var.image))
    error_message = "image must be a full image reference (registry[:port]/path) with a tag or a sha256 digest, e.g. europe-west1-docker.pkg.dev/my-project/name/service:1.0.0."
  }
}

variable "name" {
  description = "Name of the service; resource names are <name>-<environment>."
  type        = string
  default     = "{{ cookiecutter.project_slug }}"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*[a-z0-9]$", var.name))
    error_message = "name must be lowercase letters, digits and hyphens, starting with a letter."
  }
}

variable "allowed_source_ranges" {
  description = "IPv4 CIDR ranges allowed to call the service through the load balancer (Cloud Armor); include the deploying machine."
  type        = list(string)

  validation {
    condition     = length(var.allowed_source_ranges) > 0 && length(var.allowed_source_ranges) <= 10
    error_message = "allowed_source_ranges must hold 1 to 10 ranges (one Cloud Armor rule)."
  }

  validation {
    condition     = alltrue([for cidr in var.allowed_source_ranges : can(cidrhost(cidr, 0)) && cidr != "0.0.0.0/0"])
    error_message = "allowed_source_ranges must be IPv4 CIDR ranges, and not 0.0.0.0/0."
  }
}

variable "machine_type" {
  description = "Machine type (x86_64) of the instances."
  type        = string
  default     = "e2-small"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*-[a-z0-9-]+$", var.machine_type)) && !can(regex("^(t2a|c4a|n4a)-", var.machine_type))
    error_message = "machine_type must be an x86_64 Compute Engine machine type such as e2-small or n2-standard-2 (Arm series such as t2a need an arm64 image)."
  }
}

variable "min_instances" {
  description = "Fewest instances the autoscaler keeps; two or more spread the service over zones."
  type        = number
  default     = 2

  validation {
    condition     = var.min_instances >= 1
    error_message = "min_instances must be at least 1."
  }
}

variable "max_instances" {
  description = "Most instances the autoscaler starts."
  type        = number
  default     = 4

  validation {
    condition     = var.max_instances >= var.min_instances
    error_message = "max_instances must not be below min_instances."
  }
}

variable "kms_key_name" {
  description = "Cloud KMS key (projects/.../cryptoKeys/...) for disks, registry and capture bucket; null: Google-managed encryption."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "kms_key_name must be a key resource name: projects/P/locations/L/keyRings/R/cryptoKeys/K."
  }
}

variable "enable_iap_ssh" {
  description = "Allow SSH to the instances through Identity-Aware Proxy (OS Login still decides who may log in)."
  type        = bool
  default     = false
}

variable "capture_retention_days" {
  description = "Days captured predictions are kept in the capture bucket."
  type        = number
  default     = 90

  validation {
    condition     = var.capture_retention_days >= 1
    error_message = "capture_retention_days must be at least 1."
  }
}

variable "capture_sync_image" {
  description = "Google Cloud CLI image that copies the captured predictions to the bucket."
  type        = string
  default     = "gcr.io/google.com/cloudsdktool/google-cloud-cli:573.0.0-slim"

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$", var.capture_sync_image))
    error_message = "capture_sync_image must be a full image reference (registry[:port]/path) with a tag or a sha256 digest, e.g. gcr.io/google.com/cloudsdktool/google-cloud-cli:573.0.0-slim."
  }
}

variable "alert_email" {
  description = "Email address the Cloud Monitoring alerts notify; null: alerts only open incidents."
  type        = string
  default     = null

  validation {
    condition     = var.alert_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an email address."
  }
}

variable "error_ratio_threshold" {
  description = "Share of 5xx responses at the load balancer that raises an alert."
  type        = number
  default     = 0.05

  validation {
    condition     = var.error_ratio_threshold > 0 && var.error_ratio_threshold < 1
    error_message = "error_ratio_threshold must be between 0 and 1."
  }
}

variable "latency_threshold_ms" {
  description = "95th percentile of the load balancer's total latency, in milliseconds, that raises an alert."
  type        = number
  default     = 500

  validation {
    condition     = var.latency_threshold_ms >= 10 && var.latency_threshold_ms <= 60000
    error_message = "latency_threshold_ms must be between 10 and 60000."
  }
}
