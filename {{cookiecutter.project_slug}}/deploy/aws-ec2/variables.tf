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

variable "region" {
  description = "AWS region to deploy to, e.g. eu-west-1."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "image" {
  description = "Service image to run, tagged uniquely or pinned by digest. deploy.sh copies the CI image into this module's ECR repository first (output registry_url); the VMs can pull from that repository only."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$", var.image))
    error_message = "image must be a full image reference with a tag or digest, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/name:1.0.0."
  }
}

variable "allowed_cidr" {
  description = "IPv4 CIDR block allowed to reach the service port 8000 on the load balancer; 0.0.0.0/0 (the default) for a public API. deploy.sh checks /ready from where it runs, so a narrower block must include that address."
  type        = string
  default     = "0.0.0.0/0"

  validation {
    condition     = can(cidrhost(var.allowed_cidr, 0)) && !strcontains(var.allowed_cidr, ":")
    error_message = "allowed_cidr must be an IPv4 CIDR block such as 203.0.113.0/24."
  }
}

variable "alert_email" {
  description = "Email address subscribed to the alarm topic (AWS sends a confirmation email first); null: subscribe endpoints to output alarm_topic_arn yourself."
  type        = string
  default     = null

  validation {
    condition     = var.alert_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an email address."
  }
}

variable "metrics_scraper_cidr" {
  description = "IPv4 CIDR block of the Prometheus server that scrapes each VM's /metrics on port 8000 (monitoring/prometheus/targets); it must route into the VPC (a host in it, peering or VPN). null: no direct access to the VMs."
  type        = string
  default     = null

  validation {
    condition     = var.metrics_scraper_cidr == null || (can(cidrhost(var.metrics_scraper_cidr, 0)) && !strcontains(coalesce(var.metrics_scraper_cidr, "-"), ":") && coalesce(var.metrics_scraper_cidr, "-") != "0.0.0.0/0")
    error_message = "metrics_scraper_cidr must be an IPv4 CIDR block narrower than 0.0.0.0/0, such as 10.20.0.0/16."
  }
}

variable "instance_type" {
  description = "EC2 instance type (x86_64) of the service VMs."
  type        = string
  default     = "t3.small"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*[0-9][a-z0-9-]*\\.[a-z0-9]+$", var.instance_type)) && !can(regex("^[a-z]+[0-9]+g", var.instance_type))
    error_message = "instance_type must be an x86_64 EC2 instance type such as t3.small (Graviton types need an arm64 image)."
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
  description = "Maximum number of VMs the group scales out to on CPU load."
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

variable "vpc_cidr" {
  description = "IPv4 CIDR block of the VPC (a /16 to /20); subnets are carved out of it."
  type        = string
  default     = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 20
    error_message = "vpc_cidr must be an IPv4 CIDR block between /16 and /20."
  }
}

variable "certificate_arn" {
  description = "ACM certificate ARN for domain_name; when set, the load balancer serves HTTPS on port 8000 instead of HTTP."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN."
  }
}

variable "domain_name" {
  description = "DNS name (CNAME to load_balancer_dns_name) that certificate_arn covers; used in endpoint_url."
  type        = string
  default     = null

  validation {
    condition     = (var.domain_name == null) == (var.certificate_arn == null)
    error_message = "Set domain_name and certificate_arn together, or neither."
  }
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups (service, VPC flow logs, WAF), in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention of at least 365 days (365, 400, 545, 731, ...)."
  }
}

variable "capture_retention_days" {
  description = "Days captured predictions are kept in the capture bucket before they expire."
  type        = number
  default     = 180

  validation {
    condition     = var.capture_retention_days >= 30 && var.capture_retention_days <= 3650
    error_message = "capture_retention_days must be between 30 and 3650."
  }
}

variable "capture_sync_minutes" {
  description = "Interval, in minutes, at which every VM copies its captured predictions to the capture bucket."
  type        = number
  default     = 5

  validation {
    condition     = var.capture_sync_minutes >= 1 && var.capture_sync_minutes <= 60
    error_message = "capture_sync_minutes must be between 1 and 60."
  }
}
