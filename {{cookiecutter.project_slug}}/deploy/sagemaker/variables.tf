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
  description = "AWS region to deploy to, e.g. eu-west-1 (must offer SageMaker Model Monitor)."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be an AWS region name such as us-east-1."
  }
}

variable "image" {
  description = "Serving image, tagged uniquely or pinned by digest. SageMaker pulls from ECR in the endpoint's region only: deploy.sh copies the CI image into this module's repository first (output registry_url)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$", var.image))
    error_message = "image must be a full image reference with a tag or digest, e.g. 123456789012.dkr.ecr.us-east-1.amazonaws.com/name:1.0.0."
  }
}

variable "instance_type" {
  description = "SageMaker hosting instance type of the endpoint."
  type        = string
  default     = "ml.m5.large"

  validation {
    condition     = can(regex("^ml\\.[a-z0-9]+\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be a SageMaker instance type such as ml.m5.large."
  }
}

variable "min_instances" {
  description = "Minimum number of endpoint instances; 2 or more spreads them over availability zones."
  type        = number
  default     = 1

  validation {
    condition     = var.min_instances >= 1 && var.min_instances <= 20
    error_message = "min_instances must be between 1 and 20."
  }
}

variable "max_instances" {
  description = "Maximum number of endpoint instances the autoscaler scales out to."
  type        = number
  default     = 4

  validation {
    condition     = var.max_instances >= var.min_instances && var.max_instances <= 50
    error_message = "max_instances must be at least min_instances and at most 50."
  }
}

variable "instance_count" {
  description = "Instances a new endpoint configuration starts with, kept within min_instances..max_instances; deploy.sh passes the variant's current desired count so that a deploy keeps the capacity the autoscaler reached. null: min_instances."
  type        = number
  default     = null

  validation {
    condition     = var.instance_count == null || try(var.instance_count >= 1 && floor(var.instance_count) == var.instance_count, false)
    error_message = "instance_count must be null or a whole number of at least 1."
  }
}

variable "invocations_per_instance" {
  description = "Target of the autoscaler: invocations per instance per minute (measure yours with a load test)."
  type        = number
  default     = 600

  validation {
    condition     = var.invocations_per_instance >= 1
    error_message = "invocations_per_instance must be positive."
  }
}

variable "capture_sampling_percentage" {
  description = "Percentage of the requests whose input and output SageMaker data capture writes to S3."
  type        = number
  default     = 100

  validation {
    condition     = var.capture_sampling_percentage >= 1 && var.capture_sampling_percentage <= 100 && floor(var.capture_sampling_percentage) == var.capture_sampling_percentage
    error_message = "capture_sampling_percentage must be a whole number between 1 and 100."
  }
}

variable "capture_retention_days" {
  description = "Days captured requests and monitoring reports are kept before they expire."
  type        = number
  default     = 180

  validation {
    condition     = var.capture_retention_days >= 30 && var.capture_retention_days <= 3650
    error_message = "capture_retention_days must be between 30 and 3650."
  }
}

variable "monitor_schedule" {
  description = "When the Model Monitor data-quality job analyses the last captures (SageMaker cron, at most hourly)."
  type        = string
  default     = "cron(0 * ? * * *)"

  validation {
    condition     = can(regex("^cron\\(.+\\)$", var.monitor_schedule))
    error_message = "monitor_schedule must be a cron() expression such as cron(0 * ? * * *)."
  }
}

variable "monitor_instance_type" {
  description = "Processing instance type of the Model Monitor jobs."
  type        = string
  default     = "ml.m5.xlarge"

  validation {
    condition     = can(regex("^ml\\.[a-z0-9]+\\.[a-z0-9]+$", var.monitor_instance_type))
    error_message = "monitor_instance_type must be a SageMaker instance type such as ml.m5.xlarge."
  }
}

variable "monitor_baseline" {
  description = "Compare captures with the served model's baseline, statistics.json and constraints.json under <baseline_uri>/<model_version>/ (deploy.sh runs the baselining job when they are missing); false: report statistics only, no baselining job."
  type        = bool
  default     = true
}

variable "model_version" {
  description = "Version of the served model (model_version of its metrics.json), which names its baseline's prefix; deploy.sh reads it from the image. null: the monitor has no baseline to compare with."
  type        = string
  default     = null

  validation {
    condition     = var.model_version == null || can(regex("^[a-z0-9][a-z0-9._-]{0,63}$", var.model_version))
    error_message = "model_version must be null or 1-64 lowercase letters, digits, dots, hyphens or underscores, e.g. 3f9a1c2b7d4e."
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

variable "latency_p99_ms" {
  description = "Alarm threshold on the 99th percentile of the model latency, in milliseconds."
  type        = number
  default     = 500

  validation {
    condition     = var.latency_p99_ms > 0
    error_message = "latency_p99_ms must be positive."
  }
}

variable "latency_average_ms" {
  description = "Alarm threshold on the average model latency, in milliseconds."
  type        = number
  default     = 100

  validation {
    condition     = var.latency_average_ms > 0 && var.latency_average_ms <= var.latency_p99_ms
    error_message = "latency_average_ms must be positive and at most latency_p99_ms."
  }
}

variable "log_retention_days" {
  description = "Retention of the endpoint's CloudWatch log group, in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a CloudWatch retention of at least 365 days (365, 400, 545, 731, ...)."
  }
}
