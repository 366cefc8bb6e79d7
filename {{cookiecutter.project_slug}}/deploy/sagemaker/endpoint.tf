# The model (the serving image), its endpoint configuration with data capture, and the endpoint.
# A new image creates a new model and configuration; SageMaker then shifts the traffic blue/green
# and rolls back by itself if the 5xx alarm fires while it bakes.
#
# The variant is an Application Auto Scaling target, and UpdateEndpoint starts the new fleet with
# the new configuration's initial_instance_count (the provider cannot pass
# RetainAllVariantProperties). So a new configuration starts with the variant's current desired
# count (var.instance_count, which deploy.sh reads from the live endpoint), never below
# min_instances: a deploy at peak load keeps its capacity.

resource "aws_cloudwatch_log_group" "endpoint" {
  name              = "/aws/sagemaker/Endpoints/${local.endpoint_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.service.arn
}

locals {
  # A model cannot change in place: every new image or setting gets a new, uniquely named model.
  container_environment  = { LOG_LEVEL = "info" }
  model_name             = "${local.name}-${substr(sha256(jsonencode([var.image, local.container_environment])), 0, 12)}"
  initial_instance_count = var.instance_count == null ? var.min_instances : min(max(var.instance_count, var.min_instances), var.max_instances)
}

resource "aws_sagemaker_model" "service" {
  name                     = local.model_name
  execution_role_arn       = aws_iam_role.endpoint.arn
  enable_network_isolation = true

  primary_container {
    image       = var.image
    mode        = "SingleModel"
    environment = local.container_environment
  }

  lifecycle {
    create_before_destroy = true

    precondition {
      condition     = startswith(var.image, "${aws_ecr_repository.service.repository_url}:") || startswith(var.image, "${aws_ecr_repository.service.repository_url}@")
      error_message = "image must be in this module's ECR repository (output registry_url); deploy.sh copies it there."
    }
  }

  depends_on = [aws_iam_role_policy.endpoint]
}

resource "aws_sagemaker_endpoint_configuration" "service" {
  name_prefix = "${local.name}-"
  kms_key_arn = aws_kms_key.service.arn

  production_variants {
    variant_name           = local.variant
    model_name             = aws_sagemaker_model.service.name
    instance_type          = var.instance_type
    initial_instance_count = local.initial_instance_count
  }

  data_capture_config {
    enable_capture              = true
    initial_sampling_percentage = var.capture_sampling_percentage
    destination_s3_uri          = local.capture_uri
    kms_key_id                  = aws_kms_key.service.arn

    capture_options {
      capture_mode = "Input"
    }

    capture_options {
      capture_mode = "Output"
    }

    # Store JSON bodies as text, not base64, so that the drift job and Model Monitor read them.
    capture_content_type_header {
      json_content_types = ["application/json"]
    }
  }

  lifecycle {
    create_before_destroy = true
    # The count alone (the autoscaler moved) is no reason for a new configuration and a blue/green
    # deployment; a configuration that is replaced anyway (new model or instance type) still gets
    # the current count.
    ignore_changes = [production_variants[0].initial_instance_count]
  }
}

resource "aws_sagemaker_endpoint" "service" {
  name                 = local.endpoint_name
  endpoint_config_name = aws_sagemaker_endpoint_configuration.service.name

  deployment_config {
    blue_green_update_policy {
      termination_wait_in_seconds = 300

      traffic_routing_configuration {
        type                     = "ALL_AT_ONCE"
        wait_interval_in_seconds = 300
      }
    }

    auto_rollback_configuration {
      alarms {
        alarm_name = aws_cloudwatch_metric_alarm.error_rate.alarm_name
      }
    }
  }

  depends_on = [aws_cloudwatch_log_group.endpoint]
}

# UpdateEndpoint refuses to change the instance type of a variant that is a scalable target: it
# must be deregistered first and registered again after the update. A new instance type replaces
# the target (and with it the policy), and Terraform destroys the old target before it updates
# the endpoint it depends on, and creates the new one after.
resource "terraform_data" "variant_instance_type" {
  input = var.instance_type
}

# Scale the variant on its invocations per instance; scaling in waits longer than scaling out.
resource "aws_appautoscaling_target" "variant" {
  service_namespace  = "sagemaker"
  resource_id        = "endpoint/${aws_sagemaker_endpoint.service.name}/variant/${local.variant}"
  scalable_dimension = "sagemaker:variant:DesiredInstanceCount"
  min_capacity       = var.min_instances
  max_capacity       = var.max_instances

  lifecycle {
    replace_triggered_by = [terraform_data.variant_instance_type]
  }
}

resource "aws_appautoscaling_policy" "invocations" {
  name               = "${local.name}-invocations-per-instance"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.variant.service_namespace
  resource_id        = aws_appautoscaling_target.variant.resource_id
  scalable_dimension = aws_appautoscaling_target.variant.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.invocations_per_instance
    scale_out_cooldown = 60
    scale_in_cooldown  = 300

    predefined_metric_specification {
      predefined_metric_type = "SageMakerVariantInvocationsPerInstance"
    }
  }

  # Deregistering a scalable target deletes its policies: recreate this one with the target.
  lifecycle {
    replace_triggered_by = [aws_appautoscaling_target.variant]
  }
}
