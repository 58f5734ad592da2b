variable "name" {
  description = "Name prefix for every resource of this environment, e.g. partisipro-production."
  type        = string
}

variable "data_subnet_ids" {
  description = "Private data subnets, one per availability zone (network module output)."
  type        = list(string)
}

variable "availability_zones" {
  description = "The three availability zones; Aurora instances are spread over them in order."
  type        = list(string)
}

variable "db_security_group_id" {
  description = "Security group of Aurora; its ingress rules (services only) are owned by the network module."
  type        = string
}

variable "redis_security_group_id" {
  description = "Security group of ElastiCache; its ingress rules (services only) are owned by the network module."
  type        = string
}

# --- Aurora --------------------------------------------------------------------------------

variable "db_engine_version" {
  description = "Aurora MySQL engine version (MySQL 8.0 compatible, 3.x line)."
  type        = string
  default     = "8.0.mysql_aurora.3.08.0"

  validation {
    condition     = startswith(var.db_engine_version, "8.0.mysql_aurora.3.")
    error_message = "Partisipro runs on Aurora MySQL 3 (MySQL 8.0 compatible)."
  }
}

variable "db_instance_class" {
  description = "Instance class of every Aurora instance (writer and readers are the same size so a failover keeps capacity)."
  type        = string
  default     = "db.r6g.large"
}

variable "db_instance_count" {
  description = "Aurora instances: one writer plus read replicas, spread over the availability zones. At least 2 (multi-AZ failover target and read replica)."
  type        = number
  default     = 2

  validation {
    condition     = var.db_instance_count >= 2 && var.db_instance_count <= 3
    error_message = "db_instance_count must be 2 or 3: one writer and at least one replica in another AZ."
  }
}

variable "db_name" {
  description = "Name of the application schema created in Aurora."
  type        = string
  default     = "partisipro"
}

variable "db_username" {
  description = "Master user the application connects as. Its password is generated and never stored in Terraform state."
  type        = string
  default     = "partisipro"
}

variable "db_password_version" {
  description = "Bump this number to generate a new database password and write it to Aurora and to the database URL secrets in the same apply (then redeploy the services)."
  type        = number
  default     = 1
}

variable "db_backup_retention_days" {
  description = "Days of Aurora automated backups (point-in-time restore window)."
  type        = number
  default     = 30

  validation {
    condition     = var.db_backup_retention_days >= 30 && var.db_backup_retention_days <= 35
    error_message = "Automated backups are kept 30 days at least (35 is Aurora's maximum)."
  }
}

variable "db_backup_window" {
  description = "Daily UTC window for automated backups (hh24:mi-hh24:mi)."
  type        = string
  default     = "17:00-18:00"
}

variable "db_maintenance_window" {
  description = "Weekly UTC maintenance window (ddd:hh24:mi-ddd:hh24:mi); must not overlap the backup window."
  type        = string
  default     = "sun:18:30-sun:19:30"
}

variable "db_require_secure_transport" {
  description = "Set require_secure_transport=ON in Aurora: refuse connections without TLS. Turn on once the application's DATABASE_URL carries TLS parameters."
  type        = bool
  default     = false
}

# --- ElastiCache ---------------------------------------------------------------------------

variable "redis_engine_version" {
  description = "ElastiCache Redis OSS engine version."
  type        = string
  default     = "7.1"
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
  default     = "cache.r7g.large"
}

variable "redis_replicas" {
  description = "Read replicas besides the primary (at least 1 so Multi-AZ automatic failover works)."
  type        = number
  default     = 1

  validation {
    condition     = var.redis_replicas >= 1
    error_message = "At least one replica is needed for Multi-AZ failover."
  }
}

variable "redis_auth_token_version" {
  description = "Bump this number to generate a new Redis AUTH token (rotated with strategy ROTATE: old and new are both accepted until the next apply)."
  type        = number
  default     = 1
}

variable "redis_snapshot_retention_days" {
  description = "Days of daily Redis snapshots (the queue can be rebuilt from the database outbox; snapshots shorten recovery)."
  type        = number
  default     = 7
}

# --- documents ----------------------------------------------------------------------------

variable "documents_archive_after_days" {
  description = "Days after upload when a document moves to S3 Glacier Flexible Retrieval: the period it is read in day-to-day work (default matches the KYC approval validity of 730 days)."
  type        = number
  default     = 730
}

variable "documents_noncurrent_expire_days" {
  description = "Days to keep overwritten or deleted document versions (legal record keeping); they move to Glacier after 30 days."
  type        = number
  default     = 3650
}

variable "access_log_retention_days" {
  description = "Days to keep S3 server access logs and ALB access logs."
  type        = number
  default     = 400
}

variable "log_retention_days" {
  description = "Days to keep CloudWatch log groups created by this module (Redis slow log)."
  type        = number
  default     = 90
}

# --- keys ----------------------------------------------------------------------------------

variable "signer_backend" {
  description = "Where the platform's chain agent key lives: \"kms\" (an AWS KMS ECC_SECG_P256K1 key that never leaves KMS; the app signs with kms:Sign) or \"secret\" (a hex private key in Secrets Manager, for providers or tooling without KMS signing)."
  type        = string
  default     = "kms"

  validation {
    condition     = contains(["kms", "secret"], var.signer_backend)
    error_message = "signer_backend is \"kms\" or \"secret\"."
  }
}

variable "kms_deletion_window_days" {
  description = "Waiting period before a scheduled KMS key deletion takes effect (7-30)."
  type        = number
  default     = 30
}

variable "secret_recovery_window_days" {
  description = "Days a deleted Secrets Manager secret can still be restored."
  type        = number
  default     = 30
}

variable "jwt_secret_version" {
  description = "Bump this number to generate a new JWT secret (every access token becomes invalid; refresh tokens live in the database and keep working)."
  type        = number
  default     = 1
}
