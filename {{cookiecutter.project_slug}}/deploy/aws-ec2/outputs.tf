output "endpoint_url" {
  description = "Base URL of the service (append /predict, /ready, /docs)."
  value       = local.endpoint_url
}

output "registry_url" {
  description = "ECR repository to push the service image to (docker push <registry_url>:<tag>)."
  value       = aws_ecr_repository.service.repository_url
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer, the target of a CNAME for domain_name."
  value       = aws_lb.service.dns_name
}

output "autoscaling_group_name" {
  description = "Auto Scaling group of the VMs (aws autoscaling start-instance-refresh, SSM sessions)."
  value       = aws_autoscaling_group.service.name
}

output "log_group_name" {
  description = "CloudWatch log group of the service containers."
  value       = aws_cloudwatch_log_group.service.name
}

output "alarm_topic_arn" {
  description = "SNS topic the CloudWatch alarms notify; subscribe more endpoints to it."
  value       = aws_sns_topic.alarms.arn
}

output "capture_uri" {
  description = "Where the VMs upload captured predictions (JSON lines, one folder per VM): the drift job's input."
  value       = local.capture_uri
}

output "drift_report_uri" {
  description = "Where the retrain workflow uploads the drift job's report (CI variable DRIFT_REPORT_URI) and every VM downloads it from for the service's drift metrics. The CI identity needs s3:PutObject on it and kms:GenerateDataKey on the bucket's key."
  value       = local.drift_report_uri
}
