# Fixed by the environment directory (locals in environments/<name>/main.tf), never by
# terraform.tfvars or -var: so they are not in variables.tf, which the environments share.

variable "environment" {
  description = "Name of the environment (staging, production); prefixes every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,20}$", var.environment))
    error_message = "environment: lower-case letters, digits and dashes, 2 to 21 characters."
  }
}

variable "chain_id" {
  description = "EVM chain the platform runs on: 42161 (Arbitrum One) in production, 421614 (Arbitrum Sepolia) everywhere else."
  type        = number

  validation {
    condition     = var.chain_id == (var.environment == "production" ? 42161 : 421614)
    error_message = "production runs on Arbitrum One (42161); every other environment on Arbitrum Sepolia (421614)."
  }
}
