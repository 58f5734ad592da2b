output "cluster_name" {
  description = "ECS cluster name."
  value       = aws_ecs_cluster.main.name
}

output "ecr_repository_url" {
  description = "ECR repository the Partisipro image is pushed to (tags are immutable)."
  value       = aws_ecr_repository.app.repository_url
}

output "service_names" {
  description = "ECS service names: api, worker, indexer."
  value = {
    api     = aws_ecs_service.api.name
    worker  = aws_ecs_service.worker.name
    indexer = aws_ecs_service.indexer.name
  }
}

output "task_definition_families" {
  description = "Task definition families by role (api, worker, indexer, ops)."
  value       = { for key, definition in aws_ecs_task_definition.app : key => definition.family }
}

output "log_groups" {
  description = "CloudWatch log group of each role."
  value       = { for key, group in aws_cloudwatch_log_group.service : key => group.name }
}

output "run_ops_task_command" {
  description = "AWS CLI command that runs the one-off task (partisipro db upgrade); add --overrides to run another partisipro command."
  value = join(" ", [
    "aws ecs run-task",
    "--cluster ${aws_ecs_cluster.main.name}",
    "--task-definition ${aws_ecs_task_definition.app["ops"].family}",
    "--launch-type FARGATE",
    "--network-configuration 'awsvpcConfiguration={subnets=[${join(",", var.app_subnet_ids)}],securityGroups=[${var.security_group_ids["ops"]}],assignPublicIp=DISABLED}'",
  ])
}

output "alarm_topic_arn" {
  description = "SNS topic every alarm notifies; subscribe the on-call tool to it."
  value       = aws_sns_topic.alarms.arn
}

output "dashboard_url" {
  description = "URL of the CloudWatch dashboard."
  value       = "https://${local.region}.console.aws.amazon.com/cloudwatch/home?region=${local.region}#dashboards:name=${aws_cloudwatch_dashboard.main.dashboard_name}"
}
