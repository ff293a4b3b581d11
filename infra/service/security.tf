# The load balancer: open to the world on the listener ports only.
resource "aws_security_group" "alb" {
  name        = "${local.name}-alb"
  description = "Load balancer: HTTP(S) from anywhere, out only to the tasks"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "${local.name}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "alb_listeners" {
  for_each          = toset([for port in local.listener_ports : tostring(port)])
  security_group_id = aws_security_group.alb.id
  description       = "Clients on port ${each.key}"
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)
  cidr_ipv4         = "0.0.0.0/0" # a public web endpoint
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the gateway tasks only"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.task.id
}

# The tasks: reachable only from the load balancer, on the gateway's port.
resource "aws_security_group" "task" {
  name        = "${local.name}-task"
  description = "Gateway tasks: in only from the load balancer; out only HTTPS (ECR, CloudWatch Logs)"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "${local.name}-task" })
}

resource "aws_vpc_security_group_ingress_rule" "task_from_alb" {
  security_group_id            = aws_security_group.task.id
  description                  = "The gateway port, from the load balancer only"
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
  referenced_security_group_id = aws_security_group.alb.id
}

resource "aws_vpc_security_group_egress_rule" "task_https" {
  security_group_id = aws_security_group.task.id
  description       = "HTTPS to ECR, S3 and CloudWatch Logs (image pulls and logs)"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  cidr_ipv4         = "0.0.0.0/0" # AWS public endpoints, or the VPC endpoints in private mode
}

resource "aws_security_group" "endpoints" {
  count       = local.private_mode ? 1 : 0
  name        = "${local.name}-endpoints"
  description = "VPC interface endpoints: HTTPS from the tasks only"
  vpc_id      = aws_vpc.this.id
  tags        = merge(local.tags, { Name = "${local.name}-endpoints" })
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_tasks" {
  count                        = local.private_mode ? 1 : 0
  security_group_id            = aws_security_group.endpoints[0].id
  description                  = "HTTPS from the gateway tasks"
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  referenced_security_group_id = aws_security_group.task.id
}
