# Least privilege for the VMs: pull this service's image, write its logs, metrics and captured
# predictions, read the drift report, and be reachable through SSM Session Manager (instead of SSH).
# The CI identity of the retrain workflow, outside this module, reads the captures and writes the
# drift report: s3:ListBucket and s3:GetObject on capture/*, s3:PutObject on drift/drift.json, and
# kms:Decrypt and kms:GenerateDataKey on the service key (output drift_report_uri).

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "instance" {
  name               = "${local.name}-instance"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json
}

resource "aws_iam_instance_profile" "instance" {
  name = "${local.name}-instance"
  role = aws_iam_role.instance.name
}

resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:${data.aws_partition.current.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

data "aws_iam_policy_document" "instance" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "EcrPull"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [aws_ecr_repository.service.arn]
  }

  statement {
    sid       = "ServiceLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.service.arn}:*"]
  }

  statement {
    sid       = "CaptureList"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.capture.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["${local.capture_prefix}/*"]
    }
  }

  statement {
    sid       = "CaptureUpload"
    actions   = ["s3:PutObject", "s3:AbortMultipartUpload"]
    resources = ["${aws_s3_bucket.capture.arn}/${local.capture_prefix}/*"]
  }

  # Only that one key: the VMs may check whether the report exists yet (a GetObject of a missing
  # key without ListBucket is a 403, not a 404) and download it, never change it.
  statement {
    sid       = "DriftReportExists"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.capture.arn]

    condition {
      test     = "StringEquals"
      variable = "s3:prefix"
      values   = [local.drift_report_key]
    }
  }

  statement {
    sid       = "DriftReportRead"
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.capture.arn}/${local.drift_report_key}"]
  }

  # Uploads of captures and downloads of the drift report, both encrypted with the service key.
  statement {
    sid       = "CaptureEncryption"
    actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.service.arn]

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "CloudWatchAgentDimensions"
    actions   = ["ec2:DescribeTags"]
    resources = ["*"]
  }

  statement {
    sid       = "ServiceMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [local.name]
    }
  }
}

resource "aws_iam_role_policy" "instance" {
  name   = "pull-image-write-telemetry-and-captures"
  role   = aws_iam_role.instance.id
  policy = data.aws_iam_policy_document.instance.json
}

data "aws_iam_policy_document" "flow_logs_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }
}

resource "aws_iam_role" "flow_logs" {
  name               = "${local.name}-flow-logs"
  assume_role_policy = data.aws_iam_policy_document.flow_logs_assume.json
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.flow_logs.arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "write-flow-logs"
  role   = aws_iam_role.flow_logs.id
  policy = data.aws_iam_policy_document.flow_logs.json
}
