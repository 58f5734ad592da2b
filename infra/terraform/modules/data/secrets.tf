# Secrets Manager: one secret per secret setting. The services receive them as ECS
# `secrets` (valueFrom = secret ARN), never as plain environment.
#
# Two kinds:
#   generated - Terraform writes the value with a write-only argument from an ephemeral
#               random password: the value exists in AWS only, never in state or plan
#   operator  - Terraform creates the empty secret; an operator puts the value in with
#               `aws secretsmanager put-secret-value` (docs/operations.md, first deployment)

locals {
  secret_prefix = "partisipro/${trimprefix(var.name, "partisipro-")}"

  # key => what it holds, who fills it, which KMS key protects it, the setting it feeds
  app_secrets = merge(
    {
      database_url = {
        description = "SQLAlchemy URL of the Aurora writer (mysql+aiomysql://...)"
        source      = "generated"
        field_key   = false
        env         = "PARTISIPRO_DATABASE_URL"
      }
      database_read_url = {
        description = "SQLAlchemy URL of the Aurora reader endpoint (read replicas)"
        source      = "generated"
        field_key   = false
        env         = "PARTISIPRO_DATABASE_READ_URL"
      }
      redis_url = {
        description = "rediss:// URL of ElastiCache with the AUTH token"
        source      = "generated"
        field_key   = false
        env         = "PARTISIPRO_REDIS_URL"
      }
      jwt_secret = {
        description = "HMAC secret of the JWT access tokens"
        source      = "generated"
        field_key   = false
        env         = "PARTISIPRO_JWT_SECRET"
      }
      field_encryption_keys = {
        description = "Field-encryption keyring: keyid:base64key[,keyid:base64key...]"
        source      = "operator"
        field_key   = true
        env         = "PARTISIPRO_FIELD_ENCRYPTION_KEYS"
      }
      field_encryption_active_key = {
        description = "Key id of the keyring entry that encrypts new data"
        source      = "operator"
        field_key   = true
        env         = "PARTISIPRO_FIELD_ENCRYPTION_ACTIVE_KEY"
      }
      chain_rpc_url = {
        description = "Arbitrum JSON-RPC URL (carries the provider's API key)"
        source      = "operator"
        field_key   = false
        env         = "PARTISIPRO_CHAIN_RPC_URL"
      }
      kyc_webhook_secret = {
        description = "HMAC secret the KYC provider signs its webhooks with"
        source      = "operator"
        field_key   = false
        env         = "PARTISIPRO_KYC_WEBHOOK_SECRET"
      }
      kyc_provider_token = {
        description = "API token of the KYC provider"
        source      = "operator"
        field_key   = false
        env         = "PARTISIPRO_KYC_PROVIDER_TOKEN"
      }
      kyc_provider_secret = {
        description = "Secret that signs requests to the KYC provider's API"
        source      = "operator"
        field_key   = false
        env         = "PARTISIPRO_KYC_PROVIDER_SECRET"
      }
    },
    var.signer_backend == "secret" ? {
      platform_signer_key = {
        description = "Hex private key of the platform chain agent (only when signer_backend = secret)"
        source      = "operator"
        field_key   = true
        env         = "PARTISIPRO_PLATFORM_SIGNER_KEY"
      }
    } : {},
  )
}

resource "aws_secretsmanager_secret" "app" {
  for_each = local.app_secrets

  name                    = "${local.secret_prefix}/${replace(each.key, "_", "-")}"
  description             = "${each.value.description} (${each.value.source == "generated" ? "written by Terraform" : "put in by an operator"})"
  kms_key_id              = each.value.field_key ? aws_kms_key.field.arn : aws_kms_key.main.arn
  recovery_window_in_days = var.secret_recovery_window_days

  tags = { Setting = each.value.env, Source = each.value.source }
}

# Redis AUTH token on its own: ElastiCache needs the bare token, the services get the URL.
resource "aws_secretsmanager_secret" "redis_auth_token" {
  name                    = "${local.secret_prefix}/redis-auth-token"
  description             = "ElastiCache AUTH token (written by Terraform; the services read redis-url)"
  kms_key_id              = aws_kms_key.main.arn
  recovery_window_in_days = var.secret_recovery_window_days
}

# --- generated values ----------------------------------------------------------------------

ephemeral "aws_secretsmanager_random_password" "db" {
  password_length     = 40
  exclude_punctuation = true
}

ephemeral "aws_secretsmanager_random_password" "redis" {
  password_length     = 64
  exclude_punctuation = true
}

ephemeral "aws_secretsmanager_random_password" "jwt" {
  password_length     = 64
  exclude_punctuation = true
}

resource "aws_secretsmanager_secret_version" "jwt_secret" {
  secret_id                = aws_secretsmanager_secret.app["jwt_secret"].id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.jwt.random_password
  secret_string_wo_version = var.jwt_secret_version
}

resource "aws_secretsmanager_secret_version" "database_url" {
  secret_id                = aws_secretsmanager_secret.app["database_url"].id
  secret_string_wo         = "mysql+aiomysql://${var.db_username}:${ephemeral.aws_secretsmanager_random_password.db.random_password}@${aws_rds_cluster.main.endpoint}:${aws_rds_cluster.main.port}/${var.db_name}?charset=utf8mb4"
  secret_string_wo_version = var.db_password_version
}

resource "aws_secretsmanager_secret_version" "database_read_url" {
  secret_id                = aws_secretsmanager_secret.app["database_read_url"].id
  secret_string_wo         = "mysql+aiomysql://${var.db_username}:${ephemeral.aws_secretsmanager_random_password.db.random_password}@${aws_rds_cluster.main.reader_endpoint}:${aws_rds_cluster.main.port}/${var.db_name}?charset=utf8mb4"
  secret_string_wo_version = var.db_password_version
}

resource "aws_secretsmanager_secret_version" "redis_auth_token" {
  secret_id                = aws_secretsmanager_secret.redis_auth_token.id
  secret_string_wo         = ephemeral.aws_secretsmanager_random_password.redis.random_password
  secret_string_wo_version = var.redis_auth_token_version
}

# ElastiCache has no write-only auth_token argument: read the token back from the secret
# (so it is in state, encrypted in the state bucket, but in no file and no plan output).
data "aws_secretsmanager_secret_version" "redis_auth_token" {
  secret_id  = aws_secretsmanager_secret.redis_auth_token.id
  version_id = aws_secretsmanager_secret_version.redis_auth_token.version_id
}

resource "aws_secretsmanager_secret_version" "redis_url" {
  secret_id                = aws_secretsmanager_secret.app["redis_url"].id
  secret_string_wo         = "rediss://:${data.aws_secretsmanager_secret_version.redis_auth_token.secret_string}@${aws_elasticache_replication_group.main.primary_endpoint_address}:${aws_elasticache_replication_group.main.port}/0"
  secret_string_wo_version = var.redis_auth_token_version
}
