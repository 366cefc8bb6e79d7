output "endpoint_url" {
  description = "Base URL of the service at the load balancer (POST /predict, GET /ready)."
  value       = local.endpoint_url
}

output "capture_uri" {
  description = "Where the instances' captured predictions land, one folder per instance."
  value       = "gs://${google_storage_bucket.capture.name}/captures/"
}

output "drift_report_uri" {
  description = "Where the retrain workflow uploads the drift job's report (CI variable DRIFT_REPORT_URI) and every instance downloads it from for the service's drift metrics. The CI identity needs roles/storage.objectUser on this object (or the bucket)."
  value       = "gs://${google_storage_bucket.capture.name}/${local.drift_report_object}"
}

output "registry_url" {
  description = "Artifact Registry repository that deploy.sh pushes the image to."
  value       = "${local.registry_host}/${var.project_id}/${google_artifact_registry_repository.service.repository_id}"
}

output "instance_group" {
  description = "Regional managed instance group running the service."
  value       = google_compute_region_instance_group_manager.service.instance_group
}

output "backend_service" {
  description = "Backend service of the load balancer; `gcloud compute backend-services get-health` shows the instances."
  value       = google_compute_backend_service.service.name
}

output "service_account_email" {
  description = "Service account of the instances."
  value       = google_service_account.instance.email
}
