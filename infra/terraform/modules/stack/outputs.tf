output "api_url" {
  description = "Public base URL of the API."
  value       = module.edge.api_url
}

output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = module.edge.alb_dns_name
}

output "db_writer_endpoint" {
  description = "Aurora writer endpoint."
  value       = module.data.db_writer_endpoint
}

output "db_reader_endpoint" {
  description = "Aurora reader endpoint (read replicas)."
  value       = module.data.db_reader_endpoint
}

output "db_cluster_id" {
  description = "Aurora cluster identifier (restores, failover)."
  value       = module.data.db_cluster_id
}

output "redis_primary_endpoint" {
  description = "ElastiCache primary endpoint."
  value       = module.data.redis_primary_endpoint
}

output "redis_reader_endpoint" {
  description = "ElastiCache reader endpoint."
  value       = module.data.redis_reader_endpoint
}

output "documents_bucket" {
  description = "Documents bucket."
  value       = module.data.documents_bucket
}

output "access_logs_bucket" {
  description = "Bucket of the S3 and ALB access logs."
  value       = module.data.access_logs_bucket
}

output "ecr_repository_url" {
  description = "Where to push the image."
  value       = module.compute.ecr_repository_url
}

output "cluster_name" {
  description = "ECS cluster."
  value       = module.compute.cluster_name
}

output "service_names" {
  description = "ECS services."
  value       = module.compute.service_names
}

output "run_ops_task_command" {
  description = "Command that runs the one-off task (migrations by default)."
  value       = module.compute.run_ops_task_command
}

output "operator_secret_names" {
  description = "Secrets to fill in before the services start."
  value       = module.data.operator_secret_names
}

output "field_kms_key_arn" {
  description = "KMS key of the field-encryption keyring (generate data keys with it)."
  value       = module.data.field_kms_key_arn
}

output "signer_kms_key_arn" {
  description = "secp256k1 KMS key of the platform chain agent."
  value       = module.data.signer_kms_key_arn
}

output "ses_configuration_set" {
  description = "SES configuration set."
  value       = module.edge.ses_configuration_set
}

output "ses_events_queue_url" {
  description = "SQS queue of SES bounce and complaint events."
  value       = module.edge.ses_events_queue_url
}

output "alarm_topic_arn" {
  description = "SNS topic of the alarms."
  value       = module.compute.alarm_topic_arn
}

output "dashboard_url" {
  description = "CloudWatch dashboard."
  value       = module.compute.dashboard_url
}

output "nat_public_ips" {
  description = "Outbound IPs to allow-list at the chain RPC and KYC providers."
  value       = module.network.nat_public_ips
}
