# Every output of modules/stack (described there), for `terraform output`.

output "api_url" { value = module.stack.api_url }
output "alb_dns_name" { value = module.stack.alb_dns_name }
output "db_writer_endpoint" { value = module.stack.db_writer_endpoint }
output "db_reader_endpoint" { value = module.stack.db_reader_endpoint }
output "db_cluster_id" { value = module.stack.db_cluster_id }
output "redis_primary_endpoint" { value = module.stack.redis_primary_endpoint }
output "redis_reader_endpoint" { value = module.stack.redis_reader_endpoint }
output "documents_bucket" { value = module.stack.documents_bucket }
output "access_logs_bucket" { value = module.stack.access_logs_bucket }
output "ecr_repository_url" { value = module.stack.ecr_repository_url }
output "cluster_name" { value = module.stack.cluster_name }
output "service_names" { value = module.stack.service_names }
output "run_ops_task_command" { value = module.stack.run_ops_task_command }
output "operator_secret_names" { value = module.stack.operator_secret_names }
output "field_kms_key_arn" { value = module.stack.field_kms_key_arn }
output "signer_kms_key_arn" { value = module.stack.signer_kms_key_arn }
output "ses_configuration_set" { value = module.stack.ses_configuration_set }
output "ses_events_queue_url" { value = module.stack.ses_events_queue_url }
output "alarm_topic_arn" { value = module.stack.alarm_topic_arn }
output "dashboard_url" { value = module.stack.dashboard_url }
output "nat_public_ips" { value = module.stack.nat_public_ips }
