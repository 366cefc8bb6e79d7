# The instances' identity: pull the image, write logs and metrics, write captures. Nothing else.
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

resource "google_storage_bucket_iam_member" "instance" {
  bucket = google_storage_bucket.capture.name
  role   = "roles/storage.objectUser"
  member = google_service_account.instance.member
}
