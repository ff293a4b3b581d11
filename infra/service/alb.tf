resource "aws_lb" "this" {
  # checkov:skip=CKV_AWS_91: ALB access logs need a bucket with an ELB-account policy; the gateway logs every request with its id to CloudWatch, and the ALB's own metrics feed the alarms
  # checkov:skip=CKV2_AWS_76: the Log4j rules (AWSManagedRulesKnownBadInputsRuleSet) are in waf.tf; checkov cannot follow the count-based WAF association
  name                       = local.name
  load_balancer_type         = "application"
  internal                   = false
  security_groups            = [aws_security_group.alb.id]
  subnets                    = aws_subnet.public[*].id
  drop_invalid_header_fields = true
  enable_deletion_protection = var.alb_deletion_protection
  # The gateway keeps idle connections 65 s (uvicorn timeout_keep_alive), longer
  # than this, so the balancer never reuses a connection the task just closed.
  idle_timeout = 60
  tags         = local.tags
}

resource "aws_lb_target_group" "this" {
  # checkov:skip=CKV_AWS_378: TLS ends at the load balancer; the hop to the task stays inside the VPC, admitted only from the ALB's security group
  name                 = local.name
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip" # awsvpc tasks register by IP
  vpc_id               = aws_vpc.this.id
  deregistration_delay = var.deregistration_delay

  health_check {
    path                = var.health_check_path
    port                = "traffic-port"
    matcher             = "200"
    interval            = var.health_check_interval
    timeout             = var.health_check_timeout
    healthy_threshold   = var.healthy_threshold
    unhealthy_threshold = var.unhealthy_threshold
  }

  tags = local.tags
}

# Plain HTTP: forwards, or redirects to HTTPS when a certificate is given.
resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = local.https ? "redirect" : "forward"
    target_group_arn = local.https ? null : aws_lb_target_group.this.arn

    dynamic "redirect" {
      for_each = local.https ? [1] : []
      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }

  tags = local.tags
}

resource "aws_lb_listener" "https" {
  count             = local.https ? 1 : 0
  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = var.ssl_policy
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }

  tags = local.tags
}
