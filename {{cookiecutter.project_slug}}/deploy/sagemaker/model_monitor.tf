# SageMaker Model Monitor: on monitor_schedule, the region's model-monitor analyzer computes the
# statistics of the last captured requests (flattened by monitor/preprocessor.py), compares them
# with the baseline when monitor_baseline is on, writes reports under monitoring/ and publishes
# per-feature metrics to CloudWatch (namespace aws/sagemaker/Endpoints/data-metrics).

data "aws_sagemaker_prebuilt_ecr_image" "model_monitor" {
  repository_name = "sagemaker-model-monitor-analyzer"
  image_tag       = "latest"
}

resource "aws_sagemaker_data_quality_job_definition" "service" {
  role_arn = aws_iam_role.monitor.arn

  data_quality_app_specification {
    image_uri                      = data.aws_sagemaker_prebuilt_ecr_image.model_monitor.registry_path
    record_preprocessor_source_uri = "s3://${aws_s3_object.preprocessor.bucket}/${aws_s3_object.preprocessor.key}"

    environment = {
      publish_cloudwatch_metrics = "Enabled"
    }
  }

  dynamic "data_quality_baseline_config" {
    for_each = var.monitor_baseline ? [local.baseline_uri] : []

    content {
      constraints_resource {
        s3_uri = "${data_quality_baseline_config.value}/constraints.json"
      }

      statistics_resource {
        s3_uri = "${data_quality_baseline_config.value}/statistics.json"
      }
    }
  }

  data_quality_job_input {
    endpoint_input {
      endpoint_name = aws_sagemaker_endpoint.service.name
      local_path    = "/opt/ml/processing/input/endpoint"
    }
  }

  data_quality_job_output_config {
    kms_key_id = aws_kms_key.service.arn

    monitoring_outputs {
      s3_output {
        s3_uri         = local.monitoring_uri
        local_path     = "/opt/ml/processing/output"
        s3_upload_mode = "EndOfJob"
      }
    }
  }

  job_resources {
    cluster_config {
      instance_count    = 1
      instance_type     = var.monitor_instance_type
      volume_size_in_gb = 20
      volume_kms_key_id = aws_kms_key.service.arn
    }
  }

  network_config {
    enable_inter_container_traffic_encryption = true
  }

  stopping_condition {
    max_runtime_in_seconds = 1800
  }

  lifecycle {
    create_before_destroy = true
  }

  depends_on = [aws_iam_role_policy.monitor]
}

resource "aws_sagemaker_monitoring_schedule" "data_quality" {
  name = "${local.name}-data-quality"

  monitoring_schedule_config {
    monitoring_job_definition_name = aws_sagemaker_data_quality_job_definition.service.name
    monitoring_type                = "DataQuality"

    schedule_config {
      schedule_expression = var.monitor_schedule
    }
  }
}
