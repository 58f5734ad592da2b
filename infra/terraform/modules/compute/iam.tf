# IAM, least privilege per service.
#
# execution role (ECS agent, before the container starts): pull this environment's image,
# write to its log groups, read exactly the Partisipro secrets and decrypt them.
#
# task roles (the application), one per service:
#   api     - documents bucket (read/write, presigned URLs), platform address lookup, metrics
#   worker  - documents bucket, SES sending, signing with the platform key (transaction
#             outbox), the SES event queue, metrics
#   indexer - metrics only
#   ops     - signing with the platform key (chain deploy), ECS Exec sessions

locals {
  signer_enabled = var.signer_kms_key_arn != null

  task_permissions = {
    api = {
      documents = true, send_email = false, sign = false, public_key = true, ses_events = false, exec = false
    }
    worker = {
      documents = true, send_email = true, sign = true, public_key = true, ses_events = true, exec = false
    }
    indexer = {
      documents = false, send_email = false, sign = false, public_key = false, ses_events = false, exec = false
    }
    ops = {
      documents = false, send_email = false, sign = true, public_key = true, ses_events = false, exec = true
    }
  }
}

data "aws_iam_policy_document" "ecs_tasks_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:ecs:${local.region}:${local.account_id}:*"]
    }
  }
}

# --- execution role ------------------------------------------------------------------------

resource "aws_iam_role" "execution" {
  name               = "${var.name}-ecs-execution"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }

  statement {
    sid = "EcrPull"
    actions = [
      "ecr:BatchCheckLayerAvailability",
      "ecr:BatchGetImage",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = [aws_ecr_repository.app.arn]
  }

  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [for group in aws_cloudwatch_log_group.service : "${group.arn}:*"]
  }

  statement {
    sid       = "ReadPartisiproSecrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = values(var.app_secret_arns)
  }

  statement {
    sid       = "DecryptSecrets"
    actions   = ["kms:Decrypt"]
    resources = var.secret_kms_key_arns

    condition {
      test     = "StringEquals"
      variable = "kms:ViaService"
      values   = ["secretsmanager.${local.region}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-log-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# --- task roles ----------------------------------------------------------------------------

resource "aws_iam_role" "task" {
  for_each = local.task_permissions

  name               = "${var.name}-${each.key}"
  assume_role_policy = data.aws_iam_policy_document.ecs_tasks_assume.json
}

data "aws_iam_policy_document" "task" {
  for_each = local.task_permissions

  # Every process publishes its own metrics (queue depth, indexer lag, dead letters).
  statement {
    sid       = "PublishMetrics"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = [var.metrics_namespace]
    }
  }

  dynamic "statement" {
    for_each = each.value.documents ? [1] : []

    content {
      sid       = "Documents"
      actions   = ["s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:DeleteObject"]
      resources = ["${var.documents_bucket_arn}/*"]
    }
  }

  dynamic "statement" {
    for_each = each.value.documents ? [1] : []

    content {
      sid       = "DocumentsKms"
      actions   = ["kms:GenerateDataKey", "kms:Decrypt"]
      resources = [var.main_kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = each.value.send_email ? [1] : []

    content {
      sid       = "SendEmail"
      actions   = ["ses:SendEmail", "ses:SendRawEmail"]
      resources = [var.ses_identity_arn, var.ses_configuration_set_arn]
    }
  }

  dynamic "statement" {
    for_each = each.value.ses_events ? [1] : []

    content {
      sid = "SesEvents"
      actions = [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:GetQueueAttributes",
      ]
      resources = [var.ses_events_queue_arn]
    }
  }

  dynamic "statement" {
    for_each = each.value.ses_events ? [1] : []

    content {
      sid       = "SesEventsKms"
      actions   = ["kms:Decrypt"]
      resources = [var.main_kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${local.region}.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = each.value.sign && local.signer_enabled ? [1] : []

    content {
      sid       = "SignChainTransactions"
      actions   = ["kms:Sign"]
      resources = [var.signer_kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:SigningAlgorithm"
        values   = ["ECDSA_SHA_256"]
      }
    }
  }

  dynamic "statement" {
    for_each = each.value.public_key && local.signer_enabled ? [1] : []

    content {
      sid       = "PlatformAddress"
      actions   = ["kms:GetPublicKey", "kms:DescribeKey"]
      resources = [var.signer_kms_key_arn]
    }
  }

  dynamic "statement" {
    for_each = each.value.exec ? [1] : []

    content {
      sid = "EcsExecSession"
      actions = [
        "ssmmessages:CreateControlChannel",
        "ssmmessages:CreateDataChannel",
        "ssmmessages:OpenControlChannel",
        "ssmmessages:OpenDataChannel",
      ]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = each.value.exec ? [1] : []

    content {
      sid       = "EcsExecLog"
      actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
      resources = ["${aws_cloudwatch_log_group.ecs_exec.arn}:*"]
    }
  }

  dynamic "statement" {
    for_each = each.value.exec ? [1] : []

    content {
      sid       = "EcsExecLogGroups"
      actions   = ["logs:DescribeLogGroups"]
      resources = ["*"]
    }
  }
}

resource "aws_iam_role_policy" "task" {
  for_each = local.task_permissions

  name   = "partisipro-${each.key}"
  role   = aws_iam_role.task[each.key].id
  policy = data.aws_iam_policy_document.task[each.key].json
}
