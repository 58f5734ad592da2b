# Aurora MySQL 3 (MySQL 8.0): encrypted, one writer and at least one reader in other
# availability zones (the failover target and the read replica behind the reader endpoint),
# 30 days of automated backups (point-in-time restore), deletion protection.

resource "aws_db_subnet_group" "main" {
  name        = "${var.name}-aurora"
  description = "Private data subnets of ${var.name}"
  subnet_ids  = var.data_subnet_ids
}

resource "aws_rds_cluster_parameter_group" "main" {
  name        = "${var.name}-aurora-mysql8"
  family      = "aurora-mysql8.0"
  description = "Partisipro cluster settings"

  parameter {
    name  = "character_set_server"
    value = "utf8mb4"
  }

  parameter {
    name  = "collation_server"
    value = "utf8mb4_0900_ai_ci"
  }

  parameter {
    name  = "time_zone"
    value = "UTC"
  }

  parameter {
    name  = "require_secure_transport"
    value = var.db_require_secure_transport ? "ON" : "OFF"
  }

  # Row-based binary log: lets an operator replicate out or use CDC during a recovery.
  parameter {
    name         = "binlog_format"
    value        = "ROW"
    apply_method = "pending-reboot"
  }
}

resource "aws_rds_cluster" "main" {
  cluster_identifier = "${var.name}-aurora"
  engine             = "aurora-mysql"
  engine_mode        = "provisioned"
  engine_version     = var.db_engine_version
  database_name      = var.db_name
  port               = 3306

  master_username            = var.db_username
  master_password_wo         = ephemeral.aws_secretsmanager_random_password.db.random_password
  master_password_wo_version = var.db_password_version

  db_subnet_group_name            = aws_db_subnet_group.main.name
  vpc_security_group_ids          = [var.db_security_group_id]
  db_cluster_parameter_group_name = aws_rds_cluster_parameter_group.main.name

  storage_encrypted = true
  kms_key_id        = aws_kms_key.main.arn

  backup_retention_period   = var.db_backup_retention_days
  preferred_backup_window   = var.db_backup_window
  copy_tags_to_snapshot     = true
  deletion_protection       = true
  skip_final_snapshot       = false
  final_snapshot_identifier = "${var.name}-aurora-final"
  delete_automated_backups  = false

  preferred_maintenance_window    = var.db_maintenance_window
  enabled_cloudwatch_logs_exports = ["audit", "error", "slowquery"]

  lifecycle {
    ignore_changes = [final_snapshot_identifier]
  }
}

data "aws_iam_policy_document" "rds_monitoring_assume" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["monitoring.rds.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "rds_monitoring" {
  name               = "${var.name}-rds-enhanced-monitoring"
  assume_role_policy = data.aws_iam_policy_document.rds_monitoring_assume.json
}

resource "aws_iam_role_policy_attachment" "rds_monitoring" {
  role       = aws_iam_role.rds_monitoring.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"
}

resource "aws_rds_cluster_instance" "main" {
  count = var.db_instance_count

  identifier         = "${var.name}-aurora-${count.index}"
  cluster_identifier = aws_rds_cluster.main.id
  engine             = aws_rds_cluster.main.engine
  engine_version     = aws_rds_cluster.main.engine_version
  instance_class     = var.db_instance_class
  availability_zone  = var.availability_zones[count.index % length(var.availability_zones)]
  promotion_tier     = count.index == 0 ? 0 : 1

  db_subnet_group_name       = aws_db_subnet_group.main.name
  publicly_accessible        = false
  auto_minor_version_upgrade = true
  ca_cert_identifier         = "rds-ca-rsa2048-g1"

  performance_insights_enabled          = true
  performance_insights_kms_key_id       = aws_kms_key.main.arn
  performance_insights_retention_period = 7
  monitoring_interval                   = 60
  monitoring_role_arn                   = aws_iam_role.rds_monitoring.arn
}
