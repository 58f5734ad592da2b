# Staging: Arbitrum Sepolia (chain id 421614, set in main.tf). Not secret: secrets live in
# Secrets Manager. Set aws_account_id and fee_recipient before the first apply.

region             = "ap-southeast-3"
availability_zones = ["ap-southeast-3a", "ap-southeast-3b", "ap-southeast-3c"]
vpc_cidr           = "10.41.0.0/16"
single_nat_gateway = true

dns_zone_name = "staging.partisipro.id"
api_domain    = "api.staging.partisipro.id"
email_domain  = "staging.partisipro.id"
email_from    = "Partisipro Staging <no-reply@staging.partisipro.id>"
cors_origins  = ["https://app.staging.partisipro.id", "https://admin.staging.partisipro.id"]

chain_confirmations = 10
signer_backend      = "kms"

db_instance_class = "db.t4g.medium"
db_instance_count = 2
redis_node_type   = "cache.t4g.small"

api_min_tasks    = 2
api_max_tasks    = 4
worker_min_tasks = 1
worker_max_tasks = 4
