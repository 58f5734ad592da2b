# Three customer managed keys:
#   main   - encryption at rest of the infrastructure: Aurora, ElastiCache, S3 documents,
#            Secrets Manager, CloudWatch Logs, SNS/SQS
#   field  - protects the field-encryption keyring (the AES-GCM keys of the KYC personal
#            data): the keyring secret is encrypted under it, and an operator keeps the
#            KMS-wrapped copy of every data key (see docs/operations.md)
#   signer - secp256k1 signing key of the platform's chain agent (AWS KMS supports
#            ECC_SECG_P256K1 with ECDSA_SHA_256); the private key never leaves KMS

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.name
  root_arn   = "arn:${local.partition}:iam::${local.account_id}:root"
}

data "aws_iam_policy_document" "main_key" {
  statement {
    sid       = "AccountAdministration"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.root_arn]
    }
  }

  statement {
    sid = "CloudWatchLogs"
    actions = [
      "kms:Encrypt",
      "kms:Decrypt",
      "kms:ReEncrypt*",
      "kms:GenerateDataKey*",
      "kms:Describe*",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = ["arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*"]
    }
  }

  # CloudWatch alarms and SES publish to the encrypted SNS topics.
  statement {
    sid       = "AwsServicesPublishingToEncryptedTopics"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com", "ses.amazonaws.com", "sns.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_kms_key" "main" {
  description             = "${var.name}: encryption at rest (Aurora, ElastiCache, S3, Secrets Manager, logs)"
  key_usage               = "ENCRYPT_DECRYPT"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days
  policy                  = data.aws_iam_policy_document.main_key.json

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "main" {
  name          = "alias/${var.name}-main"
  target_key_id = aws_kms_key.main.key_id
}

resource "aws_kms_key" "field" {
  description             = "${var.name}: field-encryption keyring (KYC personal data)"
  key_usage               = "ENCRYPT_DECRYPT"
  enable_key_rotation     = true
  deletion_window_in_days = var.kms_deletion_window_days

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "field" {
  name          = "alias/${var.name}-field"
  target_key_id = aws_kms_key.field.key_id
}

resource "aws_kms_key" "signer" {
  count = var.signer_backend == "kms" ? 1 : 0

  description              = "${var.name}: platform chain agent (secp256k1)"
  key_usage                = "SIGN_VERIFY"
  customer_master_key_spec = "ECC_SECG_P256K1"
  # Asymmetric keys cannot rotate: a new key is a new chain address (docs/operations.md).
  enable_key_rotation     = false
  deletion_window_in_days = var.kms_deletion_window_days

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "signer" {
  count = var.signer_backend == "kms" ? 1 : 0

  name          = "alias/${var.name}-signer"
  target_key_id = aws_kms_key.signer[0].key_id
}
