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

variable "image" {
  description = "Full reference of the service image to run; it must be in this module's registry (registry_login_server/name:tag or @sha256:digest), which deploy.sh copies it to."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[a-z0-9._/-]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[a-f0-9]{64})$", var.image))
    error_message = "image must be a full image reference with a tag or digest, e.g. myregistry.azurecr.io/name:1.0.0."
  }
}

variable "alert_email" {
  description = "Email address the action group and the model monitor notify when an alert fires."
  type        = string

  validation {
    condition     = can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an email address."
  }
}

variable "instance_type" {
  description = "VM size of the endpoint's instances, one of the SKUs managed online endpoints support."
  type        = string
  default     = "Standard_DS2_v2"

  validation {
    condition     = can(regex("^Standard_[A-Za-z0-9_]+$", var.instance_type))
    error_message = "instance_type must be an Azure VM size such as Standard_DS2_v2 or Standard_F4s_v2."
  }
}

variable "min_instances" {
  description = "Minimum number of endpoint instances; Azure recommends at least 3 for production SLAs."
  type        = number
  default     = 2

  validation {
    condition     = var.min_instances >= 1 && var.min_instances <= 20
    error_message = "min_instances must be between 1 and 20."
  }
}

variable "max_instances" {
  description = "Maximum number of endpoint instances the autoscale setting scales out to on CPU load (quota is reserved for them)."
  type        = number
  default     = 4

  validation {
    condition     = var.max_instances >= var.min_instances && var.max_instances <= 50
    error_message = "max_instances must be at least min_instances and at most 50."
  }
}

variable "workers" {
  description = "Server processes per instance (WORKERS); one per vCPU is a good start."
  type        = number
  default     = 2

  validation {
    condition     = var.workers >= 1 && var.workers <= 64
    error_message = "workers must be between 1 and 64."
  }
}

variable "max_concurrent_requests" {
  description = "Requests an instance serves at once; Azure ML queues (and eventually rejects with 429) the rest."
  type        = number
  default     = 8

  validation {
    condition     = var.max_concurrent_requests >= 1 && var.max_concurrent_requests <= 1000
    error_message = "max_concurrent_requests must be between 1 and 1000."
  }
}

variable "log_retention_days" {
  description = "Retention of the Log Analytics workspace behind Application Insights, in days."
  type        = number
  default     = 90

  validation {
    condition     = var.log_retention_days >= 30 && var.log_retention_days <= 730
    error_message = "log_retention_days must be between 30 and 730."
  }
}

variable "latency_threshold_ms" {
  description = "Average request latency of the endpoint above which the latency alert fires, in milliseconds."
  type        = number
  default     = 500

  validation {
    condition     = var.latency_threshold_ms >= 10 && var.latency_threshold_ms <= 180000
    error_message = "latency_threshold_ms must be between 10 and 180000."
  }
}

variable "drift_reference_data" {
  description = "Azure ML data asset with the training features (mltable), e.g. azureml:{{ cookiecutter.project_slug }}-reference:1. When set, a daily model monitor compares the collected model_inputs against it; null: no monitor."
  type        = string
  default     = null

  validation {
    condition     = var.drift_reference_data == null || can(regex("^azureml:", var.drift_reference_data))
    error_message = "drift_reference_data must be an Azure ML asset URI such as azureml:name:1."
  }
}
