# {{ cookiecutter.project_name }} on Vertex AI: an online prediction endpoint that serves the
# service image as a custom container, logs requests and responses to BigQuery and alerts on
# errors, latency and feature drift. Terraform owns the long-lived resources; deploy.sh uploads
# each image as a new version of the Vertex AI model, deploys it to the endpoint and sets up the
# endpoint's model monitoring job, as the google provider has no resource for model uploads,
# deployments or monitoring jobs.

locals {
  # At most 29 characters, which fits every name limit below (service accounts: 30).
  name          = "${trimsuffix(substr(var.name, 0, 18), "-")}-${var.environment}"
  registry_host = "${var.region}-docker.pkg.dev"
  # Endpoint IDs are numeric and chosen by the caller: derive a stable one from the name.
  endpoint_id = tostring(parseint(substr(sha256("${var.project_id}/${var.region}/${local.name}"), 0, 8), 16))
}

resource "google_project_service" "required" {
  for_each = toset([
    "aiplatform.googleapis.com",
    "artifactregistry.googleapis.com",
    "bigquery.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
  ])

  service            = each.value
  disable_on_destroy = false
}

resource "google_artifact_registry_repository" "service" {
  # checkov:skip=CKV_GCP_84: CMEK is opt-in through var.kms_key_name; images are encrypted with Google-managed keys otherwise.
  repository_id = local.name
  location      = var.region
  format        = "DOCKER"
  description   = "Images of ${local.name}, copied from CI by deploy.sh."
  kms_key_name  = var.kms_key_name

  docker_config {
    immutable_tags = true
  }

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"

    most_recent_versions {
      keep_count = 30
    }
  }

  cleanup_policies {
    id     = "delete-old"
    action = "DELETE"

    condition {
      older_than = "7776000s" # 90 days, unless kept above
    }
  }

  depends_on = [google_project_service.required]
}

# Identity of the prediction nodes: logs and metrics only. Vertex AI's own service agent pulls
# the image and writes the request-response log.
resource "google_service_account" "endpoint" {
  account_id   = local.name
  display_name = "${local.name} prediction nodes"

  depends_on = [google_project_service.required]
}

resource "google_project_iam_member" "endpoint" {
  for_each = toset(["roles/logging.logWriter", "roles/monitoring.metricWriter"])

  project = var.project_id
  role    = each.value
  member  = google_service_account.endpoint.member
}
