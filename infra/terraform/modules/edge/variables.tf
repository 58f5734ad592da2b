variable "name" {
  description = "Name prefix for every resource of this environment, e.g. partisipro-production."
  type        = string
}

variable "vpc_id" {
  description = "VPC of the load balancer's target group (network module output)."
  type        = string
}

variable "public_subnet_ids" {
  description = "Public subnets the internet-facing ALB spans, one per availability zone."
  type        = list(string)
}

variable "alb_security_group_id" {
  description = "Security group of the ALB (network module output)."
  type        = string
}

variable "route53_zone_id" {
  description = "Route 53 hosted zone that holds api_domain and email_domain; the certificate validation, API alias and SES records are written there."
  type        = string
}

variable "api_domain" {
  description = "Public host name of the API, e.g. api.partisipro.id (PARTISIPRO_PUBLIC_URL is https://<api_domain>)."
  type        = string
}

variable "email_domain" {
  description = "Domain Partisipro sends email from (SES domain identity with DKIM), e.g. partisipro.id."
  type        = string
}

variable "dmarc_policy" {
  description = "DMARC record published for email_domain; set to an empty string when the domain already publishes one."
  type        = string
  default     = "v=DMARC1; p=quarantine; adkim=s; aspf=s"
}

variable "app_port" {
  description = "TCP port of the API containers (target group port)."
  type        = number
  default     = 8000
}

variable "health_check_path" {
  description = "Path the ALB polls on each API task; it answers 200 only when the database and Redis are reachable."
  type        = string
  default     = "/health/ready"
}

variable "tls_policy" {
  description = "ALB TLS policy: TLS 1.3 and 1.2 only, forward-secret ciphers."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"

  validation {
    condition = contains([
      "ELBSecurityPolicy-TLS13-1-2-2021-06",
      "ELBSecurityPolicy-TLS13-1-2-Res-2021-06",
      "ELBSecurityPolicy-TLS13-1-3-2021-06",
    ], var.tls_policy)
    error_message = "Only TLS 1.2+ policies are allowed."
  }
}

variable "alb_deletion_protection" {
  description = "Refuse to delete the load balancer through the API (turn off only to tear an environment down)."
  type        = bool
  default     = true
}

variable "alb_idle_timeout" {
  description = "Seconds the ALB keeps an idle connection (the real-time channel sends keep-alives more often)."
  type        = number
  default     = 120
}

variable "access_logs_bucket" {
  description = "Bucket for ALB access logs (data module output; SSE-S3)."
  type        = string
}

variable "kms_key_arn" {
  description = "KMS key encrypting the SES event topic and queue and the WAF log group."
  type        = string
}

variable "waf_rate_limit" {
  description = "Requests per client IP per 5 minutes above which AWS WAF blocks the IP (the API's own per-route limits in Redis are finer)."
  type        = number
  default     = 2000
}

variable "waf_large_body_path_regex" {
  description = "Regular expression of the URI paths allowed bodies over 8 KB (document uploads, KYC provider webhooks); elsewhere the AWS common rule set's body size limit blocks."
  type        = string
  default     = "^/(api/v1/(documents|kyc|projects/[^/]+/documents)|webhooks)(/|$)"
}

variable "log_retention_days" {
  description = "Days to keep the WAF log group."
  type        = number
  default     = 90
}

variable "ses_event_email" {
  description = "Optional address subscribed to SES bounce and complaint events (empty: none)."
  type        = string
  default     = ""
}
