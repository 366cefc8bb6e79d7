output "endpoint_url" {
  description = "Vertex AI endpoint resource URL; POST <endpoint_url>:predict with an OAuth token."
  value       = "https://${var.region}-aiplatform.googleapis.com/v1/${google_vertex_ai_endpoint.service.id}"
}

output "capture_uri" {
  description = "BigQuery table Vertex AI logs requests and responses to (created on the first logged request)."
  value       = "bq://${var.project_id}.${google_bigquery_dataset.capture.dataset_id}.request_response_logging"
}

output "registry_url" {
  description = "Artifact Registry repository that deploy.sh pushes the image to."
  value       = "${local.registry_host}/${var.project_id}/${google_artifact_registry_repository.service.repository_id}"
}

output "endpoint_id" {
  description = "Numeric ID of the Vertex AI endpoint."
  value       = google_vertex_ai_endpoint.service.name
}

output "model_id" {
  description = "ID of the Vertex AI model whose versions deploy.sh uploads."
  value       = local.name
}

output "service_account_email" {
  description = "Service account the deployed model runs as."
  value       = google_service_account.endpoint.email
}

output "machine_type" {
  description = "Machine type deploy.sh deploys the model on."
  value       = var.machine_type
}

output "min_replicas" {
  description = "Fewest prediction nodes of a deployment."
  value       = var.min_replicas
}

output "max_replicas" {
  description = "Most prediction nodes of a deployment."
  value       = var.max_replicas
}

output "capture_sampling_rate" {
  description = "Share of requests logged to BigQuery; deploy.sh samples as many for model monitoring."
  value       = var.capture_sampling_rate
}

output "drift_feature_thresholds" {
  description = "Drift thresholds of the model monitoring job as gcloud's --feature-thresholds (feature=threshold,...)."
  value       = join(",", [for feature, threshold in var.drift_thresholds : "${feature}=${threshold}"])
}
