# Captured predictions, the input of the drift job: every VM copies the JSON lines the service
# writes to CAPTURE_DIR into s3://<bucket>/capture/<VM host name>/ (see cloud-init.yaml.tftpl).
# The retrain workflow puts the drift job's report back into the same bucket, outside the capture
# prefix, at drift/drift.json; every VM downloads it for the service's drift metrics.

locals {
  capture_prefix   = "capture"
  capture_uri      = "s3://${aws_s3_bucket.capture.id}/${local.capture_prefix}"
  drift_prefix     = "drift"
  drift_report_key = "${local.drift_prefix}/drift.json"
  drift_report_uri = "s3://${aws_s3_bucket.capture.id}/${local.drift_report_key}"
}

resource "aws_s3_bucket" "capture" {
  # checkov:skip=CKV_AWS_144: Captures are re-creatable model inputs; versioning covers mistakes, no cross-region replica.
  # checkov:skip=CKV2_AWS_62: The drift job reads the bucket on its schedule; nothing consumes object events.
  bucket_prefix = "${local.name}-capture-"
  force_destroy = var.environment != "production"
}

resource "aws_s3_bucket_public_access_block" "capture" {
  bucket                  = aws_s3_bucket.capture.id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "capture" {
  bucket = aws_s3_bucket.capture.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "capture" {
  bucket = aws_s3_bucket.capture.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = "aws:kms"
      kms_master_key_id = aws_kms_key.service.arn
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_versioning" "capture" {
  bucket = aws_s3_bucket.capture.id

  versioning_configuration {
    status = "Enabled"
  }
}

# A capture file is uploaded again while it grows; only its last version is worth keeping. The
# drift report is replaced by every retrain run: it never expires, its old versions do.
resource "aws_s3_bucket_lifecycle_configuration" "capture" {
  bucket = aws_s3_bucket.capture.id

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  rule {
    id     = "expire"
    status = "Enabled"

    filter {
      prefix = "${local.capture_prefix}/"
    }

    expiration {
      days = var.capture_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  rule {
    id     = "drift-report"
    status = "Enabled"

    filter {
      prefix = "${local.drift_prefix}/"
    }

    noncurrent_version_expiration {
      noncurrent_days = 30
    }
  }

  depends_on = [aws_s3_bucket_versioning.capture]
}

resource "aws_s3_bucket_logging" "capture" {
  bucket        = aws_s3_bucket.capture.id
  target_bucket = aws_s3_bucket.lb_logs.id
  target_prefix = "s3-access/${aws_s3_bucket.capture.id}/"
}

data "aws_iam_policy_document" "capture" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.capture.arn, "${aws_s3_bucket.capture.arn}/*"]

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

resource "aws_s3_bucket_policy" "capture" {
  bucket = aws_s3_bucket.capture.id
  policy = data.aws_iam_policy_document.capture.json

  depends_on = [aws_s3_bucket_public_access_block.capture]
}
