variable "project_id" {
  description = "ID of the Google Cloud project to deploy to (deploy.sh sets it from GCP_PROJECT)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,28}[a-z0-9]$", var.project_id))
    error_message = "project_id must be a project ID (6-30 lowercase letters, digits or hyphens), not a project name or number."
  }
}

variable "region" {
  description = "Vertex AI region of the endpoint, registry and capture dataset (deploy.sh sets it from GCP_REGION)."
  type        = string
  default     = "europe-west1"

  validation {
    condition     = can(regex("^[a-z]+-[a-z]+[0-9]+$", var.region))
    error_message = "region must be a Vertex AI region such as europe-west1 or us-central1, not a zone."
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
  description = "Service image in this environment's Artifact Registry repository that deploy.sh deploys; recorded on the endpoint."
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

variable "machine_type" {
  description = "Machine type of the prediction nodes, one Vertex AI supports for prediction (no shared-core types)."
  type        = string
  default     = "n1-standard-2"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]*-[a-z]+-[0-9]+[a-z]*$", var.machine_type))
    error_message = "machine_type must be a Vertex AI prediction machine type such as n1-standard-2 or e2-standard-4 (shared-core types such as e2-small are not supported)."
  }
}

variable "min_replicas" {
  description = "Fewest prediction nodes; Vertex AI bills them around the clock."
  type        = number
  default     = 1

  validation {
    condition     = var.min_replicas >= 1
    error_message = "min_replicas must be at least 1."
  }
}

variable "max_replicas" {
  description = "Most prediction nodes the autoscaler starts (target: 60% CPU)."
  type        = number
  default     = 3

  validation {
    condition     = var.max_replicas >= var.min_replicas
    error_message = "max_replicas must not be below min_replicas."
  }
}

variable "kms_key_name" {
  description = "Cloud KMS key (projects/.../cryptoKeys/...) for the endpoint, registry and capture dataset; null: Google-managed encryption."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_name == null || can(regex("^projects/[^/]+/locations/[^/]+/keyRings/[^/]+/cryptoKeys/[^/]+$", var.kms_key_name))
    error_message = "kms_key_name must be a key resource name: projects/P/locations/L/keyRings/R/cryptoKeys/K."
  }
}

variable "capture_sampling_rate" {
  description = "Share of prediction requests logged to BigQuery for the drift job and model monitoring; locked while the model monitoring job exists (see endpoint.tf)."
  type        = number
  default     = 1

  validation {
    condition     = var.capture_sampling_rate > 0 && var.capture_sampling_rate <= 1
    error_message = "capture_sampling_rate must be in (0, 1]."
  }
}

variable "capture_retention_days" {
  description = "Days logged requests and responses are kept in BigQuery."
  type        = number
  default     = 90

  validation {
    condition     = var.capture_retention_days >= 1
    error_message = "capture_retention_days must be at least 1."
  }
}

variable "alert_email" {
  description = "Email address the Cloud Monitoring alerts and the model monitoring job notify; null: alerts only open incidents and deploy.sh creates no model monitoring job."
  type        = string
  default     = null

  validation {
    condition     = var.alert_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alert_email))
    error_message = "alert_email must be an email address."
  }
}

variable "error_count_threshold" {
  description = "Failed predictions in 5 minutes that raise an alert."
  type        = number
  default     = 5

  validation {
    condition     = var.error_count_threshold >= 1 && floor(var.error_count_threshold) == var.error_count_threshold
    error_message = "error_count_threshold must be a whole number of at least 1."
  }
}

variable "latency_threshold_ms" {
  description = "95th percentile of the prediction latency, in milliseconds, that raises an alert."
  type        = number
  default     = 500

  validation {
    condition     = var.latency_threshold_ms >= 10 && var.latency_threshold_ms <= 60000
    error_message = "latency_threshold_ms must be between 10 and 60000."
  }
}

# Vertex AI Model Monitoring compares each day's logged requests with the day before: Jensen-Shannon
# divergence for numbers, L-infinity distance for categories. weekday, holiday and season are left
# out, as one day's requests hold one value of each: the service's drift job covers them by
# comparing a week of requests with the training data.
variable "drift_thresholds" {
  description = "Distance between one day's and the previous day's distribution of a feature above which the model monitoring job emails alert_email, per monitored feature."
  type        = map(number)
  default = {
    store_id    = 0.15
    price       = 0.1
    promotion   = 0.2
    temperature = 0.2
  }

  validation {
    condition = length(var.drift_thresholds) > 0 && alltrue([
      for feature, threshold in var.drift_thresholds :
      contains(["store_id", "price", "promotion", "holiday", "weekday", "season", "temperature"], feature) && threshold > 0 && threshold <= 1
    ])
    error_message = "drift_thresholds must map features of the model (store_id, price, promotion, holiday, weekday, season, temperature) to thresholds in (0, 1]."
  }
}
