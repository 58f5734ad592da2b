variable "name" {
  description = "Name prefix for every resource of this environment, e.g. partisipro-production."
  type        = string
}

variable "vpc_cidr" {
  description = "IPv4 CIDR of the VPC. It is split into /20s: three public, three private application and three private data subnets."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0)) && tonumber(split("/", var.vpc_cidr)[1]) <= 16
    error_message = "vpc_cidr must be a valid IPv4 CIDR of size /16 or larger."
  }
}

variable "availability_zones" {
  description = "Exactly three availability zones of the region (e.g. ap-southeast-3a/b/c). Every tier has one subnet in each."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) == 3
    error_message = "Partisipro runs over exactly three availability zones."
  }
}

variable "single_nat_gateway" {
  description = "Use one NAT gateway for all zones (cheaper, for staging) instead of one per zone (production: an AZ outage does not cut the others off the chain RPC)."
  type        = bool
  default     = false
}

variable "enable_interface_endpoints" {
  description = "Create VPC interface endpoints (ECR, CloudWatch Logs and Monitoring, Secrets Manager, KMS, STS, SSM messages) so AWS API traffic stays off the NAT gateways."
  type        = bool
  default     = true
}

variable "app_port" {
  description = "TCP port the API container listens on (partisipro serve --port)."
  type        = number
  default     = 8000
}

variable "flow_log_retention_days" {
  description = "Days to keep VPC flow logs in CloudWatch Logs."
  type        = number
  default     = 90
}
