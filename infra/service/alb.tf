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

locals {
  # The listener that forwards to the tasks: HTTPS when there is one (80 then only redirects).
  serving_listener_arn = local.https ? aws_lb_listener.https[0].arn : aws_lb_listener.http.arn
  # /metrics and /model are for operators, not the internet; /docs (Swagger UI)
  # is public unless serve_docs hides it. At most 5 patterns fit one rule.
  hidden_routes = concat(
    var.expose_internal_routes ? [] : ["/metrics", "/model"],
    var.serve_docs ? [] : ["/docs", "/docs/*"],
  )
}

# Hidden routes are answered here, in the gateway's own 404 shape; the tasks still
# serve them inside the VPC.
resource "aws_lb_listener_rule" "hidden_routes" {
  count        = length(local.hidden_routes) > 0 ? 1 : 0
  listener_arn = local.serving_listener_arn
  priority     = 10

  condition {
    path_pattern {
      values = local.hidden_routes
    }
  }

  action {
    type = "fixed-response"

    fixed_response {
      content_type = "application/json"
      message_body = jsonencode({ error = "not found" })
      status_code  = "404"
    }
  }

  tags = local.tags
}

moved {
  from = aws_lb_listener_rule.internal_routes
  to   = aws_lb_listener_rule.hidden_routes
}
