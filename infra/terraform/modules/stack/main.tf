# One environment of Partisipro: the four modules wired together. The environments
# (environments/<name>/) call this module once, with their backend, provider and settings.

locals {
  name = "partisipro-${var.environment}"
}

data "aws_route53_zone" "main" {
  name         = var.dns_zone_name
  private_zone = false
}

module "network" {
  source = "../network"

  name               = local.name
  vpc_cidr           = var.vpc_cidr
  availability_zones = var.availability_zones
  single_nat_gateway = var.single_nat_gateway
}

module "data" {
  source = "../data"

  name                     = local.name
  data_subnet_ids          = module.network.data_subnet_ids
  availability_zones       = var.availability_zones
  db_security_group_id     = module.network.security_group_ids["db"]
  redis_security_group_id  = module.network.security_group_ids["redis"]
  db_instance_class        = var.db_instance_class
  db_instance_count        = var.db_instance_count
  redis_node_type          = var.redis_node_type
  signer_backend           = var.signer_backend
  db_password_version      = var.db_password_version
  redis_auth_token_version = var.redis_auth_token_version
  jwt_secret_version       = var.jwt_secret_version
}

module "edge" {
  source = "../edge"

  name                  = local.name
  vpc_id                = module.network.vpc_id
  public_subnet_ids     = module.network.public_subnet_ids
  alb_security_group_id = module.network.security_group_ids["alb"]
  route53_zone_id       = data.aws_route53_zone.main.zone_id
  api_domain            = var.api_domain
  email_domain          = var.email_domain
  access_logs_bucket    = module.data.access_logs_bucket
  kms_key_arn           = module.data.main_kms_key_arn
}

module "compute" {
  source = "../compute"

  name        = local.name
  environment = var.environment

  app_subnet_ids             = module.network.app_subnet_ids
  security_group_ids         = module.network.security_group_ids
  target_group_arn           = module.edge.target_group_arn
  target_group_arn_suffix    = module.edge.target_group_arn_suffix
  alb_arn_suffix             = module.edge.alb_arn_suffix
  https_listener_arn         = module.edge.https_listener_arn
  app_secret_arns            = module.data.app_secret_arns
  secret_kms_key_arns        = module.data.secret_kms_key_arns
  main_kms_key_arn           = module.data.main_kms_key_arn
  signer_kms_key_arn         = module.data.signer_kms_key_arn
  documents_bucket           = module.data.documents_bucket
  documents_bucket_arn       = module.data.documents_bucket_arn
  ses_identity_arn           = module.edge.ses_identity_arn
  ses_configuration_set      = module.edge.ses_configuration_set
  ses_configuration_set_arn  = module.edge.ses_configuration_set_arn
  ses_events_queue_arn       = module.edge.ses_events_queue_arn
  ses_events_queue_url       = module.edge.ses_events_queue_url
  db_cluster_id              = module.data.db_cluster_id
  redis_replication_group_id = module.data.redis_replication_group_id

  public_url          = module.edge.api_url
  cors_origins        = var.cors_origins
  chain_id            = var.chain_id
  chain_confirmations = var.chain_confirmations
  fee_recipient       = var.fee_recipient
  email_from          = var.email_from
  kyc_provider_url    = var.kyc_provider_url

  image_tag        = var.image_tag
  ops_image_tag    = var.ops_image_tag
  services_enabled = var.services_enabled
  api_min_tasks    = var.api_min_tasks
  api_max_tasks    = var.api_max_tasks
  worker_min_tasks = var.worker_min_tasks
  worker_max_tasks = var.worker_max_tasks
  alarm_email      = var.alarm_email
}
