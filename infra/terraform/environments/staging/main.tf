locals {
  environment = "staging"

  # Arbitrum Sepolia
  chain_id = 421614
}

# Everything is in modules/stack. Each setting (variables.tf, a symlink to the stack's) is
# forwarded as is; terraform.tfvars holds this environment's values.
module "stack" {
  source = "../../modules/stack"

  environment = local.environment
  chain_id    = local.chain_id

  availability_zones       = var.availability_zones
  vpc_cidr                 = var.vpc_cidr
  dns_zone_name            = var.dns_zone_name
  api_domain               = var.api_domain
  email_domain             = var.email_domain
  email_from               = var.email_from
  cors_origins             = var.cors_origins
  image_tag                = var.image_tag
  ops_image_tag            = var.ops_image_tag
  services_enabled         = var.services_enabled
  fee_recipient            = var.fee_recipient
  chain_confirmations      = var.chain_confirmations
  signer_backend           = var.signer_backend
  kyc_provider_url         = var.kyc_provider_url
  alarm_email              = var.alarm_email
  db_instance_class        = var.db_instance_class
  db_instance_count        = var.db_instance_count
  redis_node_type          = var.redis_node_type
  single_nat_gateway       = var.single_nat_gateway
  api_min_tasks            = var.api_min_tasks
  api_max_tasks            = var.api_max_tasks
  worker_min_tasks         = var.worker_min_tasks
  worker_max_tasks         = var.worker_max_tasks
  db_password_version      = var.db_password_version
  redis_auth_token_version = var.redis_auth_token_version
  jwt_secret_version       = var.jwt_secret_version
}

# The modules were called from here before modules/stack existed: move their state, so
# nothing is replaced.
moved {
  from = module.network
  to   = module.stack.module.network
}

moved {
  from = module.data
  to   = module.stack.module.data
}

moved {
  from = module.edge
  to   = module.stack.module.edge
}

moved {
  from = module.compute
  to   = module.stack.module.compute
}
