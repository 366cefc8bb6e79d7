# SageMaker Model Monitor: on monitor_schedule, the region's model-monitor analyzer computes the
# statistics of the last captured requests (flattened by monitor/preprocessor.py), compares them
# with the served model's baseline, writes reports under monitoring/ and publishes per-feature
# metrics to CloudWatch (namespace aws/sagemaker/Endpoints/data-metrics).
#
# The baseline is per model version: <baseline_uri>/<model_version>/. Before it applies this
# module, deploy.sh exports the model's training features from the image into dataset/ and, when
# statistics.json or constraints.json is missing, runs the baselining job of local.baselining_job
# (output baselining) with the same analyzer image, as DefaultModelMonitor.suggest_baseline of the
# SageMaker Python SDK does.

data "aws_sagemaker_prebuilt_ecr_image" "model_monitor" {
  repository_name = "sagemaker-model-monitor-analyzer"
  image_tag       = "latest"
}

locals {
  baselined = var.monitor_baseline && var.model_version != null
  # Where the analyzer finds the dataset and writes its results inside the job's container.
  baseline_dataset_path = "/opt/ml/processing/input/baseline_dataset_input"
  baseline_output_path  = "/opt/ml/processing/output"

  # The CreateProcessingJob request of the baselining job, less its name (deploy.sh adds one).
  # The analyzer reads its task from the environment, as suggest_baseline sets it: the dataset's
  # format (a CSV with a header row, no model outputs in it), where the dataset is mounted,
  # where to write statistics.json and constraints.json, and no CloudWatch metrics (those are for
  # monitoring runs only).
  baselining_job = !local.baselined ? null : {
    RoleArn          = aws_iam_role.monitor.arn
    AppSpecification = { ImageUri = data.aws_sagemaker_prebuilt_ecr_image.model_monitor.registry_path }
    Environment = {
      dataset_format             = jsonencode({ csv = { header = true, output_columns_position = "START" } })
      dataset_source             = local.baseline_dataset_path
      output_path                = local.baseline_output_path
      publish_cloudwatch_metrics = "Disabled"
    }
    ProcessingInputs = [{
      InputName = "baseline_dataset_input"
      S3Input = {
        S3Uri                  = "${local.model_baseline_uri}/dataset/"
        LocalPath              = local.baseline_dataset_path
        S3DataType             = "S3Prefix"
        S3InputMode            = "File"
        S3DataDistributionType = "FullyReplicated"
      }
    }]
    ProcessingOutputConfig = {
      KmsKeyId = aws_kms_key.service.arn
      Outputs = [{
        OutputName = "monitoring_output"
        S3Output = {
          S3Uri        = local.model_baseline_uri
          LocalPath    = local.baseline_output_path
          S3UploadMode = "EndOfJob"
        }
      }]
    }
    ProcessingResources = {
      ClusterConfig = {
        InstanceCount  = 1
        InstanceType   = var.monitor_instance_type
        VolumeSizeInGB = 20
        VolumeKmsKeyId = aws_kms_key.service.arn
      }
    }
    NetworkConfig     = { EnableInterContainerTrafficEncryption = true }
    StoppingCondition = { MaxRuntimeInSeconds = 1200 }
    Tags = [
      { Key = "Service", Value = var.name },
      { Key = "Environment", Value = var.environment },
      { Key = "ModelVersion", Value = var.model_version },
    ]
  }
}

# A plan without model_version (by hand, not through deploy.sh) would drop the baseline.
check "baseline" {
  assert {
    condition     = !var.monitor_baseline || var.model_version != null
    error_message = "monitor_baseline is on but model_version is unset: the data-quality job gets no baseline to compare with. Deploy with deploy.sh, or pass -var model_version=<the served model's version>."
  }
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
    for_each = local.baselined ? [local.model_baseline_uri] : []

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
