# ElastiCache Redis OSS: cache, rate limits, pub/sub, locks (indexer leader, nonce manager)
# and the SAQ job queue. Encrypted at rest (KMS) and in transit (TLS, rediss://), AUTH
# token, a replica in another AZ with automatic Multi-AZ failover. `noeviction`: Redis
# holds queued jobs and locks, which must never be evicted silently.

resource "aws_elasticache_subnet_group" "main" {
  name        = "${var.name}-redis"
  description = "Private data subnets of ${var.name}"
  subnet_ids  = var.data_subnet_ids
}

resource "aws_elasticache_parameter_group" "main" {
  name        = "${var.name}-redis7"
  family      = "redis7"
  description = "Partisipro: queue and locks must not be evicted"

  parameter {
    name  = "maxmemory-policy"
    value = "noeviction"
  }

  # Keyspace events are not used; pub/sub channels carry the real-time feed.
  parameter {
    name  = "notify-keyspace-events"
    value = ""
  }
}

resource "aws_cloudwatch_log_group" "redis_slow_log" {
  name              = "/partisipro/${var.name}/redis/slow-log"
  retention_in_days = var.log_retention_days
  kms_key_id        = aws_kms_key.main.arn
}

resource "aws_elasticache_replication_group" "main" {
  replication_group_id = "${var.name}-redis"
  description          = "Partisipro cache, locks and job queue"
  engine               = "redis"
  engine_version       = var.redis_engine_version
  node_type            = var.redis_node_type
  port                 = 6379
  parameter_group_name = aws_elasticache_parameter_group.main.name

  num_cache_clusters         = 1 + var.redis_replicas
  automatic_failover_enabled = true
  multi_az_enabled           = true

  subnet_group_name  = aws_elasticache_subnet_group.main.name
  security_group_ids = [var.redis_security_group_id]

  at_rest_encryption_enabled = true
  kms_key_id                 = aws_kms_key.main.arn
  transit_encryption_enabled = true
  auth_token                 = data.aws_secretsmanager_secret_version.redis_auth_token.secret_string
  auth_token_update_strategy = "ROTATE"

  snapshot_retention_limit   = var.redis_snapshot_retention_days
  snapshot_window            = "16:00-17:00"
  maintenance_window         = "sun:19:30-sun:20:30"
  auto_minor_version_upgrade = true
  apply_immediately          = false

  log_delivery_configuration {
    destination      = aws_cloudwatch_log_group.redis_slow_log.name
    destination_type = "cloudwatch-logs"
    log_format       = "json"
    log_type         = "slow-log"
  }
}
