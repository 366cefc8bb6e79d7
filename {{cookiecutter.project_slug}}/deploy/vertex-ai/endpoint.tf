# Sampled requests and responses of the endpoint; Vertex AI creates the table
# `request_response_logging` in this dataset. The project's drift job and Vertex AI Model
# Monitoring read it.
resource "google_bigquery_dataset" "capture" {
  # checkov:skip=CKV_GCP_81: CMEK is opt-in through var.kms_key_name; the dataset is encrypted with Google-managed keys otherwise.
  dataset_id                      = replace(local.name, "-", "_")
  friendly_name                   = "${local.name} predictions"
  description                     = "Request-response log of the ${local.name} Vertex AI endpoint."
  location                        = var.region
  default_partition_expiration_ms = var.capture_retention_days * 24 * 60 * 60 * 1000
  delete_contents_on_destroy      = var.environment != "production"

  dynamic "default_encryption_configuration" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = default_encryption_configuration.value
    }
  }

  depends_on = [google_project_service.required]
}

# Public, IAM-authenticated endpoint that logs sampled requests and responses to BigQuery.
# Vertex AI Model Monitoring (v1) watches the same log: deploy.sh creates the endpoint's model
# monitoring job with gcloud, as the google provider has no resource for it. Request-response
# logging and v1 monitoring share the endpoint's logging table, so Vertex AI accepts both only in
# this order: logging enabled first (here, when the endpoint is created), the job second. While
# the job exists the logging settings are locked: delete the job (gcloud ai
# model-monitoring-jobs delete) before changing capture_sampling_rate; the next deploy recreates it.
resource "google_vertex_ai_endpoint" "service" {
  # checkov:skip=CKV2_GCP_33: callers outside a VPC (clients, the deploy smoke test) need the public endpoint; every call is authorized by IAM (aiplatform.endpoints.predict).
  name         = local.endpoint_id
  display_name = local.name
  description  = "Serves ${var.image}"
  location     = var.region

  predict_request_response_logging_config {
    enabled       = true
    sampling_rate = var.capture_sampling_rate

    bigquery_destination {
      output_uri = "bq://${var.project_id}.${google_bigquery_dataset.capture.dataset_id}"
    }
  }

  dynamic "encryption_spec" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      kms_key_name = encryption_spec.value
    }
  }
}
