# Settings of an environment: its terraform.tfvars and `-var` on the command line set them.
# Declared once, here: environments/<name>/variables.tf is a symlink to this file, so every
# environment exposes exactly these settings and forwards each one to this module.
# Settings fixed by the environment directory itself (name, chain) are in environment.tf.

variable "availability_zones" {
  description = "The three availability zones the environment spans."
  type        = list(string)
  default     = ["ap-southeast-3a", "ap-southeast-3b", "ap-southeast-3c"]
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the environment's VPC (/16)."
  type        = string
}

variable "dns_zone_name" {
  description = "Public Route 53 hosted zone (already delegated) holding api_domain and email_domain, e.g. partisipro.id."
  type        = string
}

variable "api_domain" {
  description = "Public host name of the API."
  type        = string
}

variable "email_domain" {
  description = "Domain mail is sent from (SES identity with DKIM)."
  type        = string
}

variable "email_from" {
  description = "Sender of every email, an address of email_domain."
  type        = string
}

variable "cors_origins" {
  description = "Browser origins of the front ends allowed to call the API."
  type        = list(string)
  default     = []
}

variable "image_tag" {
  description = "Image tag the services run (an immutable tag in this environment's ECR repository, e.g. the git commit)."
  type        = string
}

variable "ops_image_tag" {
  description = "Image tag of the one-off task; set ahead of image_tag to migrate before a release. Empty: image_tag."
  type        = string
  default     = ""
}

variable "services_enabled" {
  description = "Run the ECS services. False for the first apply only (docs/operations.md, first deployment)."
  type        = bool
  default     = true
}

variable "fee_recipient" {
  description = "Address receiving the platform fee (a Safe multisig in production)."
  type        = string
}

variable "chain_confirmations" {
  description = "Blocks the indexer waits before crediting an event."
  type        = number
}

variable "signer_backend" {
  description = "Platform chain agent key: \"kms\" (secp256k1 key in AWS KMS) or \"secret\" (hex key in Secrets Manager)."
  type        = string
  default     = "kms"
}

variable "kyc_provider_url" {
  description = "Base URL of the KYC provider's API."
  type        = string
  default     = ""
}

variable "alarm_email" {
  description = "Address receiving alarm notifications (empty: subscribe an on-call tool to the alarm topic)."
  type        = string
  default     = ""
}

variable "db_instance_class" {
  description = "Aurora instance class (writer and replicas)."
  type        = string
}

variable "db_instance_count" {
  description = "Aurora instances: writer plus replicas (2 or 3)."
  type        = number
  default     = 2
}

variable "redis_node_type" {
  description = "ElastiCache node type."
  type        = string
}

variable "single_nat_gateway" {
  description = "One NAT gateway instead of one per availability zone."
  type        = bool
  default     = false
}

variable "api_min_tasks" {
  description = "Fewest API tasks."
  type        = number
  default     = 2
}

variable "api_max_tasks" {
  description = "Most API tasks."
  type        = number
  default     = 12
}

variable "worker_min_tasks" {
  description = "Fewest worker tasks."
  type        = number
  default     = 2
}

variable "worker_max_tasks" {
  description = "Most worker tasks."
  type        = number
  default     = 20
}

variable "db_password_version" {
  description = "Bump to rotate the database password (docs/operations.md)."
  type        = number
  default     = 1
}

variable "redis_auth_token_version" {
  description = "Bump to rotate the Redis AUTH token (docs/operations.md)."
  type        = number
  default     = 1
}

variable "jwt_secret_version" {
  description = "Bump to rotate the JWT signing secret (docs/operations.md)."
  type        = number
  default     = 1
}
