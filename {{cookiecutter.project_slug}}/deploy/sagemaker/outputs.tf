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
  description = "Where the Model Monitor baselining job must write statistics.json and constraints.json before monitor_baseline is turned on."
  value       = local.baseline_uri
}

output "monitoring_reports_uri" {
  description = "Reports of the scheduled data-quality jobs."
  value       = local.monitoring_uri
}

output "monitor_role_arn" {
  description = "Execution role of the Model Monitor jobs; use it for the baselining job too."
  value       = aws_iam_role.monitor.arn
}

output "alarm_topic_arn" {
  description = "SNS topic the CloudWatch alarms notify; subscribe more endpoints to it."
  value       = aws_sns_topic.alarms.arn
}
