output "api_url" {
  description = "Public base URL of the API (PARTISIPRO_PUBLIC_URL)."
  value       = "https://${var.api_domain}"
}

output "alb_dns_name" {
  description = "DNS name of the load balancer (the API host name is an alias of it)."
  value       = aws_lb.api.dns_name
}

output "alb_arn_suffix" {
  description = "ARN suffix of the ALB, the LoadBalancer dimension of its CloudWatch metrics."
  value       = aws_lb.api.arn_suffix
}

output "target_group_arn" {
  description = "ARN of the API target group the ECS API service registers into."
  value       = aws_lb_target_group.api.arn
}

output "target_group_arn_suffix" {
  description = "ARN suffix of the API target group (CloudWatch TargetGroup dimension, request-count scaling)."
  value       = aws_lb_target_group.api.arn_suffix
}

output "https_listener_arn" {
  description = "ARN of the HTTPS listener (the API service waits for it before registering targets)."
  value       = aws_lb_listener.https.arn
}

output "web_acl_arn" {
  description = "ARN of the AWS WAF web ACL on the ALB."
  value       = aws_wafv2_web_acl.api.arn
}

output "ses_identity_arn" {
  description = "ARN of the SES domain identity (the services may send as any address of it)."
  value       = aws_sesv2_email_identity.domain.arn
}

output "ses_configuration_set" {
  description = "Name of the SES configuration set (PARTISIPRO_SES_CONFIGURATION_SET)."
  value       = aws_sesv2_configuration_set.main.configuration_set_name
}

output "ses_configuration_set_arn" {
  description = "ARN of the SES configuration set."
  value       = aws_sesv2_configuration_set.main.arn
}

output "ses_events_queue_url" {
  description = "URL of the SQS queue receiving SES bounce and complaint events."
  value       = aws_sqs_queue.ses_events.url
}

output "ses_events_queue_arn" {
  description = "ARN of the SQS queue receiving SES bounce and complaint events."
  value       = aws_sqs_queue.ses_events.arn
}

output "ses_events_dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue of the SES event queue."
  value       = aws_sqs_queue.ses_events_dead_letter.arn
}
