output "endpoint_name" {
  description = "Name of the SageMaker endpoint (aws sagemaker-runtime invoke-endpoint --endpoint-name ...)."
  value       = aws_sagemaker_endpoint.service.name
}

output "endpoint_url" {
  description = "Invocation URL of the endpoint; requests must be signed with SigV4 (service sagemaker)."
  value       = "https://runtime.sagemaker.${var.region}.amazonaws.com/endpoints/${aws_sagemaker_endpoint.service.name}/invocations"
}

output "registry_url" {
  description = "ECR repository to push the serving image to (docker push <registry_url>:<tag>)."
  value       = aws_ecr_repository.service.repository_url
}

output "capture_uri" {
  description = "Where SageMaker data capture writes requests and responses (<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl): the drift job's input."
  value       = local.capture_uri
}

output "baseline_uri" {
  description = "Baselines of the Model Monitor, one prefix per model version: <model_version>/dataset/ (the training features), statistics.json and constraints.json."
  value       = local.baseline_uri
}

output "baselining" {
  description = "What deploy.sh needs to create the served model's baseline: where it lives (bucket, prefix, uri), a job name prefix and the CreateProcessingJob request of the baselining job; null when monitor_baseline is off or model_version unset."
  value = local.baselining_job == null ? null : {
    bucket          = aws_s3_bucket.data.id
    prefix          = "baseline/${var.model_version}"
    uri             = local.model_baseline_uri
    job_name_prefix = "${local.name}-baseline"
    request         = local.baselining_job
  }
}

output "monitoring_reports_uri" {
  description = "Reports of the scheduled data-quality jobs."
  value       = local.monitoring_uri
}

output "monitor_role_arn" {
  description = "Execution role of the Model Monitor jobs, the baselining jobs included."
  value       = aws_iam_role.monitor.arn
}

output "alarm_topic_arn" {
  description = "SNS topic the CloudWatch alarms notify; subscribe more endpoints to it."
  value       = aws_sns_topic.alarms.arn
}
