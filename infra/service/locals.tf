locals {
  name = var.project
  tags = merge(var.tags, {
    Project     = var.project
    Environment = var.environment
    ManagedBy   = "terraform"
    Stack       = "service"
  })

  # The gateway's own metrics (CloudWatch EMF in its log, gateway/signals/emf.py).
  metrics_namespace = var.project
  gateway_metrics   = var.emf_seconds > 0

  https          = var.certificate_arn != null
  private_mode   = var.task_subnets == "private"
  azs            = slice(data.aws_availability_zones.available.names, 0, 2)
  task_subnets   = local.private_mode ? aws_subnet.private[*].id : aws_subnet.public[*].id
  listener_ports = local.https ? [80, 443] : [80]
  # No certificate covers the load balancer's own DNS name, so HTTPS goes to domain_name.
  base_url = local.https ? "https://${var.domain_name}" : "http://${aws_lb.this.dns_name}"
}

data "aws_availability_zones" "available" {
  # checkov:skip=CKV_AWS_394: only the first two zones (by name) are used; AWS names new zones after the existing ones, so the two never change
  state = "available"
}
