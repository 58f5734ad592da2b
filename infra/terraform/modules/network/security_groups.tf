# Security groups. Rules are separate resources (aws_vpc_security_group_*_rule), one per
# allowed flow, so each flow can be read and tested on its own:
#
#   internet --443/80--> alb --app_port--> api
#   api, worker, indexer, ops --3306--> db
#   api, worker, indexer, ops --6379--> redis
#   api, worker, indexer, ops --443--> internet (chain RPC, KYC provider) and AWS endpoints
#
# Nothing else reaches the data tier: db and redis have no CIDR rule at all.

locals {
  # Every ECS task group that runs Partisipro code. "ops" is the one-off task
  # (partisipro db upgrade, partisipro chain deploy, partisipro users create-admin).
  service_security_groups = {
    api     = aws_security_group.api.id
    worker  = aws_security_group.worker.id
    indexer = aws_security_group.indexer.id
    ops     = aws_security_group.ops.id
  }
}

resource "aws_security_group" "alb" {
  name        = "${var.name}-alb"
  description = "Public load balancer in front of the API"
  vpc_id      = aws_vpc.main.id

  tags = { Name = "${var.name}-alb" }
}

resource "aws_security_group" "api" {
  name        = "${var.name}-api"
  description = "API tasks (partisipro serve)"
  vpc_id      = aws_vpc.main.id

  tags = { Name = "${var.name}-api" }
}

resource "aws_security_group" "worker" {
  name        = "${var.name}-worker"
  description = "Queue worker tasks (partisipro worker)"
  vpc_id      = aws_vpc.main.id

  tags = { Name = "${var.name}-worker" }
}

resource "aws_security_group" "indexer" {
  name        = "${var.name}-indexer"
  description = "Chain indexer tasks (partisipro indexer)"
  vpc_id      = aws_vpc.main.id

  tags = { Name = "${var.name}-indexer" }
}

resource "aws_security_group" "ops" {
  name        = "${var.name}-ops"
  description = "One-off tasks (partisipro db upgrade, chain deploy, users create-admin)"
  vpc_id      = aws_vpc.main.id

  tags = { Name = "${var.name}-ops" }
}

resource "aws_security_group" "db" {
  name        = "${var.name}-db"
  description = "Aurora MySQL: reachable from the Partisipro services only"
  vpc_id      = aws_vpc.main.id

  tags = { Name = "${var.name}-db" }
}

resource "aws_security_group" "redis" {
  name        = "${var.name}-redis"
  description = "ElastiCache Redis: reachable from the Partisipro services only"
  vpc_id      = aws_vpc.main.id

  tags = { Name = "${var.name}-redis" }
}

resource "aws_security_group" "endpoints" {
  name        = "${var.name}-vpc-endpoints"
  description = "VPC interface endpoints: HTTPS from the Partisipro services"
  vpc_id      = aws_vpc.main.id

  tags = { Name = "${var.name}-vpc-endpoints" }
}

# --- ALB -----------------------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "alb_https" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTPS from anywhere"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "alb_http" {
  security_group_id = aws_security_group.alb.id
  description       = "HTTP from anywhere, answered with a redirect to HTTPS"
  ip_protocol       = "tcp"
  from_port         = 80
  to_port           = 80
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_egress_rule" "alb_to_api" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the API tasks"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.api.id
}

resource "aws_vpc_security_group_ingress_rule" "api_from_alb" {
  security_group_id            = aws_security_group.api.id
  description                  = "From the load balancer"
  ip_protocol                  = "tcp"
  from_port                    = var.app_port
  to_port                      = var.app_port
  referenced_security_group_id = aws_security_group.alb.id
}

# --- services -> data tier ------------------------------------------------------------------

resource "aws_vpc_security_group_ingress_rule" "db_from_services" {
  for_each = local.service_security_groups

  security_group_id            = aws_security_group.db.id
  description                  = "MySQL from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = each.value
}

resource "aws_vpc_security_group_ingress_rule" "redis_from_services" {
  for_each = local.service_security_groups

  security_group_id            = aws_security_group.redis.id
  description                  = "Redis from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = each.value
}

resource "aws_vpc_security_group_egress_rule" "services_to_db" {
  for_each = local.service_security_groups

  security_group_id            = each.value
  description                  = "MySQL to Aurora"
  ip_protocol                  = "tcp"
  from_port                    = 3306
  to_port                      = 3306
  referenced_security_group_id = aws_security_group.db.id
}

resource "aws_vpc_security_group_egress_rule" "services_to_redis" {
  for_each = local.service_security_groups

  security_group_id            = each.value
  description                  = "Redis to ElastiCache"
  ip_protocol                  = "tcp"
  from_port                    = 6379
  to_port                      = 6379
  referenced_security_group_id = aws_security_group.redis.id
}

# Chain JSON-RPC, the KYC provider, S3 (gateway endpoint) and AWS APIs: HTTPS only.
resource "aws_vpc_security_group_egress_rule" "services_https" {
  for_each = local.service_security_groups

  security_group_id = each.value
  description       = "HTTPS out (chain RPC, KYC provider, AWS APIs)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_services" {
  for_each = local.service_security_groups

  security_group_id            = aws_security_group.endpoints.id
  description                  = "HTTPS from ${each.key}"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = each.value
}
