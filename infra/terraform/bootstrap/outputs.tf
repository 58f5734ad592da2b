output "state_bucket" {
  description = "Name of the state bucket: terraform init -backend-config=\"bucket=...\" in each environment."
  value       = aws_s3_bucket.state.id
}

output "state_kms_key_arn" {
  description = "ARN of the KMS key encrypting the state: terraform init -backend-config=\"kms_key_id=...\"."
  value       = aws_kms_key.state.arn
}
