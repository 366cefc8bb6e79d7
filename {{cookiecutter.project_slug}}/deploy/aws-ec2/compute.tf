# The VMs: Amazon Linux 2023 (patched AMI on every apply), Docker started by cloud-init, rolled
# one batch at a time whenever the image or the AMI changes.

data "aws_ssm_parameter" "al2023" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

resource "aws_cloudwatch_log_group" "service" {
  name              = "/ec2/${local.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.service.arn
}

resource "aws_launch_template" "service" {
  name_prefix            = "${local.name}-"
  image_id               = data.aws_ssm_parameter.al2023.insecure_value
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.instances.id]
  update_default_version = true
  ebs_optimized          = true

  user_data = base64encode(templatefile("${path.module}/cloud-init.yaml.tftpl", {
    service   = var.name
    image     = var.image
    port      = local.port
    workers   = var.workers
    region    = var.region
    log_group = aws_cloudwatch_log_group.service.name

    metrics_namespace = local.name
    capture_uri       = local.capture_uri
    capture_minutes   = var.capture_sync_minutes
    drift_bucket      = aws_s3_bucket.capture.id
    drift_key         = local.drift_report_key
  }))

  iam_instance_profile {
    arn = aws_iam_instance_profile.instance.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = 30
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  monitoring {
    enabled = true
  }

  tag_specifications {
    resource_type = "instance"
    tags          = { Name = local.name }
  }

  tag_specifications {
    resource_type = "volume"
    tags          = { Name = local.name }
  }

  lifecycle {
    precondition {
      condition     = startswith(var.image, "${aws_ecr_repository.service.repository_url}:") || startswith(var.image, "${aws_ecr_repository.service.repository_url}@")
      error_message = "image must be in this module's ECR repository (output registry_url); deploy.sh copies it there."
    }
  }
}

resource "aws_autoscaling_group" "service" {
  name                      = local.name
  min_size                  = var.min_instances
  max_size                  = var.max_instances
  vpc_zone_identifier       = aws_subnet.private[*].id
  target_group_arns         = [aws_lb_target_group.service.arn]
  health_check_type         = "ELB"
  health_check_grace_period = 300
  default_instance_warmup   = 120
  wait_for_elb_capacity     = var.min_instances
  enabled_metrics           = ["GroupDesiredCapacity", "GroupInServiceInstances", "GroupTotalInstances"]

  launch_template {
    id      = aws_launch_template.service.id
    version = aws_launch_template.service.latest_version
  }

  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = 50
      max_healthy_percentage = 150
      auto_rollback          = true
    }
  }

  tag {
    key                 = "Name"
    value               = local.name
    propagate_at_launch = true
  }
}

resource "aws_autoscaling_policy" "cpu" {
  name                   = "${local.name}-cpu"
  autoscaling_group_name = aws_autoscaling_group.service.name
  policy_type            = "TargetTrackingScaling"

  target_tracking_configuration {
    target_value = 60

    predefined_metric_specification {
      predefined_metric_type = "ASGAverageCPUUtilization"
    }
  }
}
