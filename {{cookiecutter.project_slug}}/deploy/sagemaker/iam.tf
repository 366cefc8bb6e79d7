# Two execution roles, each with only what its job needs: the endpoint pulls its image and writes
# logs and captures; the monitor (the scheduled data-quality jobs and the baselining jobs) reads
# captures and training features, writes baselines, reports, logs and data-quality metrics.
#
# The identity that runs deploy.sh (AWS_ROLE_ARN in CI) creates everything here, so it needs the
# rights to manage these resources, and for the baselining job of a new model version also:
#   - s3:ListBucket on the data bucket, s3:GetObject and s3:PutObject on its baseline/* objects
#     (check for the baseline, upload the training features), with kms:GenerateDataKey and
#     kms:Decrypt on the module's KMS key (the bucket encrypts with it);
#   - sagemaker:CreateProcessingJob, sagemaker:AddTags, sagemaker:DescribeProcessingJob and
#     sagemaker:StopProcessingJob on processing-job/<name>-<environment>-baseline-*;
#   - iam:PassRole on the monitor role (output monitor_role_arn), with the condition
#     iam:PassedToService = sagemaker.amazonaws.com.

data "aws_iam_policy_document" "sagemaker_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["sagemaker.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_iam_role" "endpoint" {
  name               = "${local.name}-endpoint"
  assume_role_policy = data.aws_iam_policy_document.sagemaker_assume.json
}

data "aws_iam_policy_document" "endpoint" {
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
    sid       = "EndpointLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = [aws_cloudwatch_log_group.endpoint.arn, "${aws_cloudwatch_log_group.endpoint.arn}:*"]
  }

  statement {
    sid       = "EndpointMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["/aws/sagemaker/Endpoints"]
    }
  }

  statement {
    sid       = "DataCapture"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.data.arn}/capture/*"]
  }

  statement {
    sid       = "Encryption"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"]
    resources = [aws_kms_key.service.arn]
  }
}

resource "aws_iam_role_policy" "endpoint" {
  name   = "pull-image-write-logs-and-captures"
  role   = aws_iam_role.endpoint.id
  policy = data.aws_iam_policy_document.endpoint.json
}

resource "aws_iam_role" "monitor" {
  name               = "${local.name}-monitor"
  assume_role_policy = data.aws_iam_policy_document.sagemaker_assume.json
}

data "aws_iam_policy_document" "monitor" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid       = "AnalyzerImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = ["arn:${local.partition}:ecr:${var.region}:${data.aws_sagemaker_prebuilt_ecr_image.model_monitor.registry_id}:repository/sagemaker-model-monitor-analyzer"]
  }

  statement {
    sid       = "ListData"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.data.arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["capture/*", "baseline/*", "code/*", "monitoring/*"]
    }
  }

  statement {
    sid     = "ReadInputs"
    actions = ["s3:GetObject"]
    resources = [
      "${aws_s3_bucket.data.arn}/capture/*",
      "${aws_s3_bucket.data.arn}/baseline/*",
      "${aws_s3_bucket.data.arn}/code/*",
    ]
  }

  statement {
    sid     = "WriteBaselinesAndReports"
    actions = ["s3:PutObject"]
    resources = [
      "${aws_s3_bucket.data.arn}/baseline/*",
      "${aws_s3_bucket.data.arn}/monitoring/*",
    ]
  }

  statement {
    sid       = "Encryption"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt", "kms:CreateGrant"]
    resources = [aws_kms_key.service.arn]
  }

  statement {
    sid       = "JobLogs"
    actions   = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["arn:${local.partition}:logs:${var.region}:${local.account_id}:log-group:/aws/sagemaker/ProcessingJobs:*"]
  }

  statement {
    sid       = "DataQualityMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["aws/sagemaker/Endpoints/data-metrics", "/aws/sagemaker/ProcessingJobs"]
    }
  }
}

resource "aws_iam_role_policy" "monitor" {
  name   = "read-captures-write-reports"
  role   = aws_iam_role.monitor.id
  policy = data.aws_iam_policy_document.monitor.json
}
