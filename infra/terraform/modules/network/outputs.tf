output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.main.id
}

output "vpc_cidr" {
  description = "IPv4 CIDR of the VPC."
  value       = aws_vpc.main.cidr_block
}

output "public_subnet_ids" {
  description = "Public subnets, one per availability zone (ALB, NAT gateways)."
  value       = aws_subnet.public[*].id
}

output "app_subnet_ids" {
  description = "Private application subnets, one per availability zone (ECS tasks)."
  value       = aws_subnet.app[*].id
}

output "data_subnet_ids" {
  description = "Private data subnets without internet route, one per availability zone (Aurora, ElastiCache)."
  value       = aws_subnet.data[*].id
}

output "nat_public_ips" {
  description = "Public IPs the services' outbound traffic leaves from (give them to the chain RPC and KYC providers for allow-listing)."
  value       = aws_eip.nat[*].public_ip
}

output "security_group_ids" {
  description = "Security group IDs by role: alb, api, worker, indexer, ops, db, redis."
  value = {
    alb     = aws_security_group.alb.id
    api     = aws_security_group.api.id
    worker  = aws_security_group.worker.id
    indexer = aws_security_group.indexer.id
    ops     = aws_security_group.ops.id
    db      = aws_security_group.db.id
    redis   = aws_security_group.redis.id
  }
}
