variable "region" {
  description = "AWS region of the state bucket (the environments' backend blocks name the same region)."
  type        = string
  default     = "ap-southeast-3"
}

variable "bucket_prefix" {
  description = "Prefix of the state bucket name; the account ID is appended so the name is globally unique."
  type        = string
  default     = "partisipro-terraform-state"
}

variable "noncurrent_version_days" {
  description = "Days to keep superseded state versions (to roll back a bad apply's state)."
  type        = number
  default     = 365
}
