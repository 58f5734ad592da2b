# ECS on Fargate. One image, four task definitions:
#   api     - partisipro serve     (service behind the ALB, autoscaled on CPU and requests)
#   worker  - partisipro worker    (service, autoscaled on queue depth per task)
#   indexer - partisipro indexer   (service, a leader plus a standby waiting on the lock)
#   ops     - partisipro db upgrade by default; one-off task for migrations, `chain deploy`
#             and `users create-admin` (aws ecs run-task, see docs/operations.md)

data "aws_region" "current" {}

data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  image     = "${aws_ecr_repository.app.repository_url}:${var.image_tag}"
  ops_image = "${aws_ecr_repository.app.repository_url}:${var.ops_image_tag != "" ? var.ops_image_tag : var.image_tag}"

  # Container commands. Each must exist in the `partisipro` CLI
  # (tests/unit/test_infra_terraform.py walks the click group to check).
  commands = {
    api     = ["partisipro", "serve", "--host", "0.0.0.0", "--port", tostring(var.app_port), "--workers", tostring(var.api_processes)]
    worker  = ["partisipro", "worker"]
    indexer = ["partisipro", "indexer"]
    ops     = ["partisipro", "db", "upgrade"]
  }

  tasks = {
    api     = { cpu = var.api_cpu, memory = var.api_memory, image = local.image }
    worker  = { cpu = var.worker_cpu, memory = var.worker_memory, image = local.image }
    indexer = { cpu = var.indexer_cpu, memory = var.indexer_memory, image = local.image }
    ops     = { cpu = var.ops_cpu, memory = var.ops_memory, image = local.ops_image }
  }

  # Non-secret settings, the same for every process.
  environment = merge(
    {
      PARTISIPRO_PROFILE                = "production"
      PARTISIPRO_PUBLIC_URL             = var.public_url
      PARTISIPRO_CORS_ORIGINS           = jsonencode(var.cors_origins)
      PARTISIPRO_HOST                   = "0.0.0.0"
      PARTISIPRO_PORT                   = tostring(var.app_port)
      PARTISIPRO_LOG_JSON               = "true"
      PARTISIPRO_METRICS_ENABLED        = "true"
      PARTISIPRO_CHAIN_ID               = tostring(var.chain_id)
      PARTISIPRO_CHAIN_CONFIRMATIONS    = tostring(var.chain_confirmations)
      PARTISIPRO_CHAIN_START_ANVIL      = "false"
      PARTISIPRO_FEE_RECIPIENT          = var.fee_recipient
      PARTISIPRO_PLATFORM_FEE_BPS       = tostring(var.platform_fee_bps)
      PARTISIPRO_STORAGE_BACKEND        = "s3"
      PARTISIPRO_S3_BUCKET              = var.documents_bucket
      PARTISIPRO_S3_REGION              = local.region
      PARTISIPRO_S3_KMS_KEY_ID          = var.main_kms_key_arn
      PARTISIPRO_EMAIL_BACKEND          = "ses"
      PARTISIPRO_EMAIL_FROM             = var.email_from
      PARTISIPRO_SES_REGION             = local.region
      PARTISIPRO_SES_CONFIGURATION_SET  = var.ses_configuration_set
      PARTISIPRO_SES_EVENTS_QUEUE_URL   = var.ses_events_queue_url
      PARTISIPRO_KYC_PROVIDER           = var.kyc_provider
      PARTISIPRO_KYC_PROVIDER_URL       = var.kyc_provider_url
      PARTISIPRO_CLOUDWATCH_NAMESPACE   = var.metrics_namespace
      PARTISIPRO_CLOUDWATCH_ENVIRONMENT = var.environment
    },
    var.signer_kms_key_arn == null ? {} : { PARTISIPRO_PLATFORM_SIGNER_KMS_KEY_ID = var.signer_kms_key_arn },
    var.extra_environment,
  )

  # Only the API listens and has a container health check (the ALB checks readiness).
  container_extras = {
    api = {
      portMappings = [{ name = "http", containerPort = var.app_port, protocol = "tcp" }]
      healthCheck = {
        command     = ["CMD", "python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:${var.app_port}/health/live', timeout=3).status != 200)"]
        interval    = 15
        timeout     = 5
        retries     = 3
        startPeriod = 30
      }
    }
    worker  = {}
    indexer = {}
    ops     = {}
  }

  container_definitions = {
    for key, task in local.tasks : key => [
      merge(
        {
          name      = "app"
          image     = task.image
          essential = true
          command   = local.commands[key]
          user      = "10001:10001"
          # ECS Exec (used on the ops task for create-admin) needs a writable root file system.
          readonlyRootFilesystem = key != "ops"
          stopTimeout            = key == "api" ? 30 : 120

          environment = [for name in sort(keys(local.environment)) : { name = name, value = local.environment[name] }]
          secrets     = [for name in sort(keys(var.app_secret_arns)) : { name = name, valueFrom = var.app_secret_arns[name] }]

          mountPoints     = [{ sourceVolume = "tmp", containerPath = "/tmp", readOnly = false }]
          linuxParameters = { initProcessEnabled = true }

          logConfiguration = {
            logDriver = "awslogs"
            options = {
              "awslogs-group"         = aws_cloudwatch_log_group.service[key].name
              "awslogs-region"        = local.region
              "awslogs-stream-prefix" = key
              "mode"                  = "non-blocking"
              "max-buffer-size"       = "25m"
            }
          }
        },
        local.container_extras[key],
      )
    ]
  }
}

resource "aws_ecr_repository" "app" {
  name                 = var.name
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "AES256"
  }
}

resource "aws_ecr_lifecycle_policy" "app" {
  repository = aws_ecr_repository.app.name

  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Keep the last 100 images (rollbacks and restores need older ones)"
        selection = {
          tagStatus   = "any"
          countType   = "imageCountMoreThan"
          countNumber = 100
        }
        action = { type = "expire" }
      }
    ]
  })
}

resource "aws_cloudwatch_log_group" "service" {
  for_each = local.tasks

  name              = "/partisipro/${var.name}/${each.key}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.main_kms_key_arn
}

resource "aws_cloudwatch_log_group" "ecs_exec" {
  name              = "/partisipro/${var.name}/ecs-exec"
  retention_in_days = 365
  kms_key_id        = var.main_kms_key_arn
}

resource "aws_ecs_cluster" "main" {
  name = var.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  # ECS Exec (interactive `partisipro users create-admin` on a one-off task) is logged.
  configuration {
    execute_command_configuration {
      logging = "OVERRIDE"

      log_configuration {
        cloud_watch_encryption_enabled = true
        cloud_watch_log_group_name     = aws_cloudwatch_log_group.ecs_exec.name
      }
    }
  }
}

resource "aws_ecs_task_definition" "app" {
  for_each = local.tasks

  family                   = "${var.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = each.value.cpu
  memory                   = each.value.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task[each.key].arn
  container_definitions    = jsonencode(local.container_definitions[each.key])

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = var.cpu_architecture
  }

  volume {
    name = "tmp"
  }
}

resource "aws_ecs_service" "api" {
  name                              = "api"
  cluster                           = aws_ecs_cluster.main.id
  task_definition                   = aws_ecs_task_definition.app["api"].arn
  launch_type                       = "FARGATE"
  platform_version                  = "LATEST"
  desired_count                     = var.services_enabled ? var.api_min_tasks : 0
  health_check_grace_period_seconds = 60
  propagate_tags                    = "SERVICE"
  enable_ecs_managed_tags           = true

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.app_subnet_ids
    security_groups  = [var.security_group_ids["api"]]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = var.target_group_arn
    container_name   = "app"
    container_port   = var.app_port
  }

  lifecycle {
    # Autoscaling owns the running count.
    ignore_changes = [desired_count]
  }

  depends_on = [var.https_listener_arn]
}

resource "aws_ecs_service" "worker" {
  name                    = "worker"
  cluster                 = aws_ecs_cluster.main.id
  task_definition         = aws_ecs_task_definition.app["worker"].arn
  launch_type             = "FARGATE"
  platform_version        = "LATEST"
  desired_count           = var.services_enabled ? var.worker_min_tasks : 0
  propagate_tags          = "SERVICE"
  enable_ecs_managed_tags = true

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.app_subnet_ids
    security_groups  = [var.security_group_ids["worker"]]
    assign_public_ip = false
  }

  lifecycle {
    ignore_changes = [desired_count]
  }
}

# Leader plus standby: both run `partisipro indexer`; only the holder of the indexer lock
# reads the chain, the other waits and takes over when the lock expires. ECS spreads the two
# tasks over availability zones.
resource "aws_ecs_service" "indexer" {
  name                    = "indexer"
  cluster                 = aws_ecs_cluster.main.id
  task_definition         = aws_ecs_task_definition.app["indexer"].arn
  launch_type             = "FARGATE"
  platform_version        = "LATEST"
  desired_count           = var.services_enabled ? (var.indexer_standby ? 2 : 1) : 0
  propagate_tags          = "SERVICE"
  enable_ecs_managed_tags = true

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.app_subnet_ids
    security_groups  = [var.security_group_ids["indexer"]]
    assign_public_ip = false
  }
}
