output "db_cluster_id" {
  description = "Aurora cluster identifier (for CloudWatch metrics and restores)."
  value       = aws_rds_cluster.main.cluster_identifier
}

output "db_writer_endpoint" {
  description = "Aurora writer endpoint (host name)."
  value       = aws_rds_cluster.main.endpoint
}

output "db_reader_endpoint" {
  description = "Aurora reader endpoint (host name), load-balanced over the read replicas."
  value       = aws_rds_cluster.main.reader_endpoint
}

output "db_port" {
  description = "Aurora port."
  value       = aws_rds_cluster.main.port
}

output "redis_primary_endpoint" {
  description = "ElastiCache primary endpoint (host name; TLS and AUTH required)."
  value       = aws_elasticache_replication_group.main.primary_endpoint_address
}

output "redis_reader_endpoint" {
  description = "ElastiCache reader endpoint (host name)."
  value       = aws_elasticache_replication_group.main.reader_endpoint_address
}

output "redis_replication_group_id" {
  description = "ElastiCache replication group ID (for CloudWatch metrics and failover tests)."
  value       = aws_elasticache_replication_group.main.id
}

output "documents_bucket" {
  description = "Name of the documents bucket (PARTISIPRO_S3_BUCKET)."
  value       = aws_s3_bucket.documents.id
}

output "documents_bucket_arn" {
  description = "ARN of the documents bucket."
  value       = aws_s3_bucket.documents.arn
}

output "access_logs_bucket" {
  description = "Name of the bucket receiving S3 and ALB access logs."
  value       = aws_s3_bucket.access_logs.id
}

output "main_kms_key_arn" {
  description = "ARN of the KMS key encrypting data at rest (also PARTISIPRO_S3_KMS_KEY_ID)."
  value       = aws_kms_key.main.arn
}

output "field_kms_key_arn" {
  description = "ARN of the KMS key protecting the field-encryption keyring."
  value       = aws_kms_key.field.arn
}

output "signer_kms_key_arn" {
  description = "ARN of the secp256k1 KMS key of the platform chain agent (null when signer_backend = secret)."
  value       = var.signer_backend == "kms" ? aws_kms_key.signer[0].arn : null
}

output "app_secret_arns" {
  description = "Secret ARN by the environment variable it feeds (PARTISIPRO_...), for the ECS task definitions."
  value       = { for key, secret in aws_secretsmanager_secret.app : local.app_secrets[key].env => secret.arn }
}

output "operator_secret_names" {
  description = "Secrets an operator must fill in before the services start (docs/operations.md)."
  value       = [for key, secret in aws_secretsmanager_secret.app : secret.name if local.app_secrets[key].source == "operator"]
}

output "secret_kms_key_arns" {
  description = "KMS keys the ECS execution roles need kms:Decrypt on to inject the secrets."
  value       = [aws_kms_key.main.arn, aws_kms_key.field.arn]
}
