# Production: Arbitrum One (chain id 42161, set in main.tf). Not secret: secrets live in
# Secrets Manager. Set aws_account_id and fee_recipient before the first apply.

region             = "ap-southeast-3"
availability_zones = ["ap-southeast-3a", "ap-southeast-3b", "ap-southeast-3c"]
vpc_cidr           = "10.40.0.0/16"
single_nat_gateway = false

dns_zone_name = "partisipro.id"
api_domain    = "api.partisipro.id"
email_domain  = "partisipro.id"
email_from    = "Partisipro <no-reply@partisipro.id>"
cors_origins  = ["https://partisipro.id", "https://app.partisipro.id", "https://admin.partisipro.id"]

chain_confirmations = 64
signer_backend      = "kms"

db_instance_class = "db.r6g.large"
db_instance_count = 2
redis_node_type   = "cache.r7g.large"

api_min_tasks    = 3
api_max_tasks    = 24
worker_min_tasks = 2
worker_max_tasks = 20
