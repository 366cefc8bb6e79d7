# The instances' identity: pull the image, write logs and metrics, write captures, read the drift
# report. Nothing else. (The CI identity of the retrain workflow, outside this module, needs
# roles/storage.objectViewer on the bucket to read the captures and roles/storage.objectUser on
# drift/drift.json to write the report: output drift_report_uri.)
resource "google_service_account" "instance" {
  account_id   = local.name
  display_name = "${local.name} instances"

  depends_on = [google_project_service.required]
}

resource "google_project_iam_member" "instance" {
  for_each = toset(["roles/logging.logWriter", "roles/monitoring.metricWriter"])

  project = var.project_id
  role    = each.value
  member  = google_service_account.instance.member
}

resource "google_artifact_registry_repository_iam_member" "instance" {
  repository = google_artifact_registry_repository.service.id
  location   = var.region
  role       = "roles/artifactregistry.reader"
  member     = google_service_account.instance.member
}

# Listing the bucket is a bucket-level check; reads and writes are checked on the object's name.
resource "google_storage_bucket_iam_member" "instance" {
  bucket = google_storage_bucket.capture.name
  role   = "roles/storage.objectUser"
  member = google_service_account.instance.member

  condition {
    title       = "captures-only"
    description = "Objects under captures/, and listing the bucket; never the drift report."
    expression  = "resource.type == \"storage.googleapis.com/Bucket\" || resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.capture.name}/objects/captures/\")"
  }
}

resource "google_storage_bucket_iam_member" "instance_drift_report" {
  bucket = google_storage_bucket.capture.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.instance.member

  condition {
    title       = "drift-report-only"
    description = "Read the drift job's report, which the retrain workflow uploads."
    expression  = "resource.name == \"projects/_/buckets/${google_storage_bucket.capture.name}/objects/${local.drift_report_object}\""
  }
}
