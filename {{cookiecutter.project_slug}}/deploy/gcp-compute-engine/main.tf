# {{ cookiecutter.project_name }} on Compute Engine: a regional managed instance group of
# Container-Optimized OS VMs that run the service image, behind a global external Application Load
# Balancer guarded by Cloud Armor. The VMs have no public address; they reach Google APIs through
# Private Google Access.

locals {
  # At most 29 characters, which fits every name limit below (service accounts: 30).
  name          = "${trimsuffix(substr(var.name, 0, 18), "-")}-${var.environment}"
  port          = 8000
  registry_host = "${var.region}-docker.pkg.dev"
  capture_dir   = "/var/lib/${var.name}/capture"
  drift_dir     = "/var/lib/${var.name}/drift"
  endpoint_url  = "http://${google_compute_global_address.service.address}"

  # The drift job's report, uploaded by the retrain workflow next to (not under) the captures.
  drift_report_object = "drift/drift.json"
}

data "google_project" "current" {}

resource "google_project_service" "required" {
  for_each = toset([
    "artifactregistry.googleapis.com",
    "compute.googleapis.com",
    "iam.googleapis.com",
    "logging.googleapis.com",
    "monitoring.googleapis.com",
    "storage.googleapis.com",
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

# Captured predictions (JSON lines), synced from every instance under captures/; the drift job
# reads them. Its report, drift/drift.json, is uploaded here by every retrain run and downloaded by
# every instance; it is not a capture, so the captures' retention does not delete it.
resource "google_storage_bucket" "capture" {
  # checkov:skip=CKV_GCP_62: access is audited with Cloud Audit Logs (Data Access logs) rather than legacy usage logs in a second bucket.
  name                        = "${local.name}-capture-${data.google_project.current.number}"
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = var.environment != "production"

  versioning {
    enabled = true
  }

  lifecycle_rule {
    condition {
      age            = var.capture_retention_days
      matches_prefix = ["captures/"]
    }
    action {
      type = "Delete"
    }
  }

  # Files still being written are synced again; keep their older copies only briefly.
  lifecycle_rule {
    condition {
      days_since_noncurrent_time = 7
      with_state                 = "ARCHIVED"
    }
    action {
      type = "Delete"
    }
  }

  dynamic "encryption" {
    for_each = var.kms_key_name == null ? [] : [var.kms_key_name]
    content {
      default_kms_key_name = encryption.value
    }
  }

  depends_on = [google_project_service.required]
}
