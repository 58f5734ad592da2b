terraform {
  required_version = ">= 1.11.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.100"
    }
  }

  # Bucket and KMS key come from the bootstrap at init time (docs/operations.md):
  #   terraform init \
  #     -backend-config="bucket=$(terraform -chdir=../../bootstrap output -raw state_bucket)" \
  #     -backend-config="kms_key_id=$(terraform -chdir=../../bootstrap output -raw state_kms_key_arn)"
  backend "s3" {
    key          = "staging/terraform.tfstate"
    region       = "ap-southeast-3"
    encrypt      = true
    use_lockfile = true
  }
}

provider "aws" {
  region              = var.region
  allowed_account_ids = var.aws_account_id == "" ? null : [var.aws_account_id]

  default_tags {
    tags = {
      Project     = "partisipro"
      Environment = local.environment
      ManagedBy   = "terraform"
    }
  }
}

# Settings of the provider only; the stack's settings are in variables.tf.

variable "region" {
  description = "AWS region of the environment (the backend block names the state bucket's region separately)."
  type        = string
  default     = "ap-southeast-3"
}

variable "aws_account_id" {
  description = "AWS account the environment lives in; the provider refuses to touch any other. Empty disables the check."
  type        = string
  default     = ""
}
