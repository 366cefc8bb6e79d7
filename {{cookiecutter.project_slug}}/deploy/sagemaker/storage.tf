# One bucket for everything the endpoint and its monitor write:
#   capture/     data capture: capture/<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl (the drift job's input)
#   baseline/    one prefix per model version: <model_version>/dataset/ the training features
#                (deploy.sh), <model_version>/statistics.json and constraints.json (baselining job)
#   monitoring/  reports of the scheduled data-quality jobs
#   code/        the Model Monitor record preprocessor (monitor/preprocessor.py)

locals {
  capture_uri    = "s3://${aws_s3_bucket.data.id}/capture"
  baseline_uri   = "s3://${aws_s3_bucket.data.id}/baseline"
  monitoring_uri = "s3://${aws_s3_bucket.data.id}/monitoring"
  # A retrained model is trained on other data, so each model version has its own baseline.
  model_baseline_uri = var.model_version == null ? null : "${local.baseline_uri}/${var.model_version}"
}

resource "aws_s3_bucket" "data" {
  # checkov:skip=CKV_AWS_144: Captures and reports are re-creatable; versioning covers mistakes, no cross-region replica.
  # checkov:skip=CKV2_AWS_62: Model Monitor and the drift job read the bucket on a schedule; nothing consumes object events.
  bucket_prefix = "${local.name}-data-"
  force_destroy = var.environment != "production"
}

resource "aws_s3_bucket_public_access_block" "data" {
  bucket                  = aws_s3_bucket.data.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "data" {
  bucket = aws_s3_bucket.data.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "data" {
  bucket = aws_s3_bucket.data.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.service.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "data" {
  bucket = aws_s3_bucket.data.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "data" {
  bucket = aws_s3_bucket.data.id

  rule {
    id     = "expire-captures"
    status = "Enabled"

    filter {
      prefix = "capture/"
    }

    expiration {
      days = var.capture_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }
  }

  rule {
    id     = "expire-reports"
    status = "Enabled"

    filter {
      prefix = "monitoring/"
    }

    expiration {
      days = var.capture_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }
  }

  rule {
    id     = "abort-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.data]
}

resource "aws_s3_bucket_logging" "data" {
  bucket        = aws_s3_bucket.data.id
  target_bucket = aws_s3_bucket.access_logs.id
  target_prefix = "${aws_s3_bucket.data.id}/"
}

data "aws_iam_policy_document" "data" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.data.arn, "${aws_s3_bucket.data.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = data.aws_iam_policy_document.data.json

  depends_on = [aws_s3_bucket_public_access_block.data]
}

resource "aws_s3_object" "preprocessor" {
  bucket      = aws_s3_bucket.data.id
  key         = "code/preprocessor.py"
  source      = "${path.module}/monitor/preprocessor.py"
  source_hash = filemd5("${path.module}/monitor/preprocessor.py")
  kms_key_id  = aws_kms_key.service.arn
}

# Server access logs of the data bucket. S3 delivers them with SSE-S3 only, so no KMS key here.
resource "aws_s3_bucket" "access_logs" {
  # checkov:skip=CKV_AWS_145: S3 server access logging supports SSE-S3 destinations only.
  # checkov:skip=CKV_AWS_144: Access logs are disposable; no cross-region replica.
  # checkov:skip=CKV_AWS_18: This is the log bucket; logging it would recurse.
  # checkov:skip=CKV2_AWS_62: Nothing consumes events of the log bucket.
  bucket_prefix = "${local.name}-access-logs-"
  force_destroy = var.environment != "production"
}

resource "aws_s3_bucket_public_access_block" "access_logs" {
  bucket                  = aws_s3_bucket.access_logs.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
  }
}

resource "aws_s3_bucket_versioning" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id

  rule {
    id     = "expire"
    status = "Enabled"

    filter {}

    expiration {
      days = 90
    }

    noncurrent_version_expiration {
      noncurrent_days = 7
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.access_logs]
}

data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "S3ServerAccessLogs"
    actions   = ["s3:PutObject"]
    resources = ["${aws_s3_bucket.access_logs.arn}/*"]

    principals {
      type        = "Service"
      identifiers = ["logging.s3.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [aws_s3_bucket.data.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.access_logs.arn, "${aws_s3_bucket.access_logs.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "access_logs" {
  bucket = aws_s3_bucket.access_logs.id
  policy = data.aws_iam_policy_document.access_logs.json

  depends_on = [aws_s3_bucket_public_access_block.access_logs]
}
