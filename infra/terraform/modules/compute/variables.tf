variable "name" {
  description = "Name prefix for every resource of this environment, e.g. partisipro-production."
  type        = string
}

variable "environment" {
  description = "Environment name (staging or production): the Environment dimension of the app's CloudWatch metrics."
  type        = string

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment is staging or production."
  }
}

# --- wiring from the other modules ----------------------------------------------------------

variable "app_subnet_ids" {
  description = "Private application subnets the tasks run in (network module output)."
  type        = list(string)
}

variable "security_group_ids" {
  description = "Security group IDs by role (network module output); uses api, worker, indexer and ops."
  type        = map(string)
}

variable "target_group_arn" {
  description = "ALB target group the API tasks register into (edge module output)."
  type        = string
}

variable "target_group_arn_suffix" {
  description = "ARN suffix of the API target group (edge module output)."
  type        = string
}

variable "alb_arn_suffix" {
  description = "ARN suffix of the ALB (edge module output)."
  type        = string
}

variable "https_listener_arn" {
  description = "HTTPS listener ARN; the API service is created after it exists (edge module output)."
  type        = string
}

variable "app_secret_arns" {
  description = "Secret ARN by environment variable name (data module output); injected as ECS secrets into every container."
  type        = map(string)
}

variable "secret_kms_key_arns" {
  description = "KMS keys protecting those secrets (data module output)."
  type        = list(string)
}

variable "main_kms_key_arn" {
  description = "KMS key encrypting the documents bucket, log groups and the alarm topic (data module output)."
  type        = string
}

variable "signer_kms_key_arn" {
  description = "secp256k1 KMS key of the platform chain agent, or null when the signer key is a secret (data module output)."
  type        = string
  default     = null
}

variable "documents_bucket" {
  description = "Name of the documents bucket (data module output)."
  type        = string
}

variable "documents_bucket_arn" {
  description = "ARN of the documents bucket (data module output)."
  type        = string
}

variable "ses_identity_arn" {
  description = "ARN of the SES domain identity (edge module output)."
  type        = string
}

variable "ses_configuration_set" {
  description = "Name of the SES configuration set (edge module output)."
  type        = string
}

variable "ses_configuration_set_arn" {
  description = "ARN of the SES configuration set (edge module output)."
  type        = string
}

variable "ses_events_queue_arn" {
  description = "ARN of the SQS queue of SES bounce and complaint events, read by the workers (edge module output)."
  type        = string
}

variable "ses_events_queue_url" {
  description = "URL of the SQS queue of SES bounce and complaint events (edge module output)."
  type        = string
}

variable "db_cluster_id" {
  description = "Aurora cluster identifier, for the DB CPU alarm and the dashboard (data module output)."
  type        = string
}

variable "redis_replication_group_id" {
  description = "ElastiCache replication group ID, for the dashboard and alarms (data module output)."
  type        = string
}

# --- application settings (non-secret environment) -----------------------------------------

variable "public_url" {
  description = "PARTISIPRO_PUBLIC_URL: public base URL of the API, e.g. https://api.partisipro.id."
  type        = string
}

variable "cors_origins" {
  description = "PARTISIPRO_CORS_ORIGINS: browser origins allowed to call the API (the web and admin front ends)."
  type        = list(string)
  default     = []
}

variable "chain_id" {
  description = "PARTISIPRO_CHAIN_ID: 42161 (Arbitrum One) or 421614 (Arbitrum Sepolia)."
  type        = number

  validation {
    condition     = contains([42161, 421614], var.chain_id)
    error_message = "chain_id is 42161 (Arbitrum One) or 421614 (Arbitrum Sepolia)."
  }
}

variable "chain_confirmations" {
  description = "PARTISIPRO_CHAIN_CONFIRMATIONS: blocks the indexer waits before crediting an event."
  type        = number
}

variable "fee_recipient" {
  description = "PARTISIPRO_FEE_RECIPIENT: address receiving the platform fee (an address, not a secret)."
  type        = string

  validation {
    condition     = can(regex("^0x[0-9a-fA-F]{40}$", var.fee_recipient))
    error_message = "fee_recipient must be a 0x-prefixed 20-byte address."
  }
}

variable "platform_fee_bps" {
  description = "PARTISIPRO_PLATFORM_FEE_BPS: platform fee in basis points taken at offering finalisation."
  type        = number
  default     = 100
}

variable "email_from" {
  description = "PARTISIPRO_EMAIL_FROM: sender, an address of the SES domain, e.g. \"Partisipro <no-reply@partisipro.id>\"."
  type        = string
}

variable "kyc_provider" {
  description = "PARTISIPRO_KYC_PROVIDER: manual or sumsub."
  type        = string
  default     = "sumsub"
}

variable "kyc_provider_url" {
  description = "PARTISIPRO_KYC_PROVIDER_URL: base URL of the KYC provider's API."
  type        = string
  default     = ""
}

variable "extra_environment" {
  description = "Further non-secret PARTISIPRO_* settings for every container (name => value). Never put a secret here: secrets go to Secrets Manager."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for key in keys(var.extra_environment) :
      !can(regex("(?i)(SECRET|PASSWORD|TOKEN|_KEY$|_KEYS$|DATABASE_URL|REDIS_URL|RPC_URL)", key))
    ])
    error_message = "extra_environment must not carry secrets; add a Secrets Manager secret instead."
  }
}

# --- image and sizing -----------------------------------------------------------------------

variable "image_tag" {
  description = "Tag of the Partisipro image in this environment's ECR repository that the API, worker and indexer services run."
  type        = string
}

variable "ops_image_tag" {
  description = "Tag the one-off task (migrations, chain deploy, create-admin) runs; defaults to image_tag. Set it ahead of image_tag to migrate before a release (docs/operations.md)."
  type        = string
  default     = ""
}

variable "cpu_architecture" {
  description = "CPU architecture of the Fargate tasks; the image must be built for it (X86_64 or ARM64)."
  type        = string
  default     = "X86_64"

  validation {
    condition     = contains(["X86_64", "ARM64"], var.cpu_architecture)
    error_message = "cpu_architecture is X86_64 or ARM64."
  }
}

variable "services_enabled" {
  description = "Run the services. False on the very first apply, before the operator secrets are filled in and the database is migrated (docs/operations.md)."
  type        = bool
  default     = true
}

variable "app_port" {
  description = "TCP port the API container listens on."
  type        = number
  default     = 8000
}

variable "api_cpu" {
  description = "CPU units of one API task (1024 = 1 vCPU)."
  type        = number
  default     = 1024
}

variable "api_memory" {
  description = "Memory (MiB) of one API task."
  type        = number
  default     = 2048
}

variable "api_processes" {
  description = "uvicorn worker processes per API task (partisipro serve --workers); about one per vCPU."
  type        = number
  default     = 1
}

variable "api_min_tasks" {
  description = "Fewest API tasks (at least 2, so one AZ can fail)."
  type        = number
  default     = 2
}

variable "api_max_tasks" {
  description = "Most API tasks autoscaling may run."
  type        = number
  default     = 12
}

variable "api_cpu_target" {
  description = "Average CPU utilisation (%) the API service is scaled to."
  type        = number
  default     = 60
}

variable "api_requests_per_target" {
  description = "ALB requests per API task per minute the API service is scaled to."
  type        = number
  default     = 1200
}

variable "worker_cpu" {
  description = "CPU units of one worker task."
  type        = number
  default     = 512
}

variable "worker_memory" {
  description = "Memory (MiB) of one worker task."
  type        = number
  default     = 1024
}

variable "worker_min_tasks" {
  description = "Fewest worker tasks (at least 1: a worker also publishes the queue depth metric)."
  type        = number
  default     = 2
}

variable "worker_max_tasks" {
  description = "Most worker tasks autoscaling may run."
  type        = number
  default     = 20
}

variable "worker_backlog_per_task" {
  description = "Queued jobs per worker task the worker service is scaled to (Partisipro/QueueDepth divided by running workers)."
  type        = number
  default     = 50
}

variable "indexer_cpu" {
  description = "CPU units of one indexer task."
  type        = number
  default     = 512
}

variable "indexer_memory" {
  description = "Memory (MiB) of one indexer task."
  type        = number
  default     = 1024
}

variable "indexer_standby" {
  description = "Run a second indexer task as hot standby: it waits on the indexer lock in Redis/DB and takes over within the lock TTL when the leader dies."
  type        = bool
  default     = true
}

variable "ops_cpu" {
  description = "CPU units of the one-off task."
  type        = number
  default     = 512
}

variable "ops_memory" {
  description = "Memory (MiB) of the one-off task."
  type        = number
  default     = 1024
}

# --- observability --------------------------------------------------------------------------

variable "log_retention_days" {
  description = "Days to keep the services' CloudWatch log groups."
  type        = number
  default     = 90
}

variable "metrics_namespace" {
  description = "CloudWatch namespace of the metrics the application publishes (QueueDepth, IndexerLagBlocks, DeadLetters)."
  type        = string
  default     = "Partisipro"
}

variable "alarm_email" {
  description = "Address subscribed to the alarm topic (empty: subscribe an on-call tool to the topic instead)."
  type        = string
  default     = ""
}

variable "alarm_5xx_percent" {
  description = "Alarm when more than this percentage of API requests end in a 5xx (target or ALB) for 3 of 5 minutes."
  type        = number
  default     = 1
}

variable "alarm_p99_latency_seconds" {
  description = "Alarm when the API's p99 target response time exceeds this many seconds for 3 of 5 minutes."
  type        = number
  default     = 1.5
}

variable "alarm_indexer_lag_blocks" {
  description = "Alarm when the indexer is this many blocks behind the chain head (Arbitrum makes about 4 blocks a second) for 5 minutes, or publishes nothing."
  type        = number
  default     = 1200
}

variable "alarm_db_cpu_percent" {
  description = "Alarm when the Aurora writer's CPU stays above this percentage for 10 minutes."
  type        = number
  default     = 80
}

variable "alarm_redis_memory_percent" {
  description = "Alarm when Redis memory use exceeds this percentage (it never evicts, so writes fail when full)."
  type        = number
  default     = 80
}
