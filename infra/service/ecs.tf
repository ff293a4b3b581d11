resource "aws_cloudwatch_log_group" "this" {
  # checkov:skip=CKV_AWS_158: encrypted at rest with the service's own key; a customer key adds a key policy and cost, and these lines hold no secrets (method, path, status, timing, request id)
  # checkov:skip=CKV_AWS_338: retention is a variable (log_retention_days, 30 by default) for a stateless service's request logs
  name              = "/ecs/${local.name}"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

resource "aws_ecs_cluster" "this" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = local.tags
}

locals {
  container = {
    name      = "gateway"
    image     = var.image
    essential = true
    user      = var.container_user
    # The admin port is mapped for the task's own use (its health check); no
    # security group rule admits it and no target group forwards to it.
    portMappings = [for port in [var.container_port, var.admin_port] : {
      containerPort = port
      protocol      = "tcp"
    }]
    environment = [for name, value in merge({
      GATEWAY_HOST             = "0.0.0.0"
      GATEWAY_PORT             = tostring(var.container_port)
      GATEWAY_ADMIN_PORT       = tostring(var.admin_port)
      GATEWAY_SERVE_DOCS       = tostring(var.serve_docs)
      GATEWAY_WORKERS          = "1" # scale by tasks, not workers
      GATEWAY_DRAIN_SECONDS    = tostring(var.drain_seconds)
      GATEWAY_SHUTDOWN_SECONDS = tostring(var.shutdown_seconds)
      GATEWAY_LOG_FORMAT       = "json"
      GATEWAY_EMF_SECONDS      = tostring(var.emf_seconds)
      GATEWAY_EMF_NAMESPACE    = local.metrics_namespace
    }, local.tracing_environment) : { name = name, value = value }]
    readonlyRootFilesystem = true
    mountPoints = [{
      sourceVolume  = "tmp"
      containerPath = "/tmp"
      readOnly      = false
    }]
    # ECS ignores the image's HEALTHCHECK; this is the same probe, stdlib only:
    # liveness on the admin port, which load never queues behind the public limit.
    healthCheck = {
      command     = ["CMD", "python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:${var.admin_port}${var.liveness_path}', timeout=2).status != 200)"]
      interval    = 10
      timeout     = 5
      retries     = 3
      startPeriod = 10
    }
    stopTimeout = var.stop_timeout
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.log_options, { awslogs-stream-prefix = "gateway" })
    }
  }

  # Where every container of the task logs (each under its own stream prefix).
  log_options = {
    awslogs-group  = aws_cloudwatch_log_group.this.name
    awslogs-region = var.aws_region
  }
}

resource "aws_ecs_task_definition" "this" {
  family                   = local.name
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = data.aws_iam_role.task_execution.arn
  task_role_arn            = data.aws_iam_role.task.arn
  container_definitions    = local.container_definitions # the gateway, and the collector when tracing (tracing.tf)

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # The writable scratch space of a read-only root filesystem (task storage).
  volume {
    name = "tmp"
  }

  tags = local.tags
}

resource "aws_ecs_service" "this" {
  name                              = local.name
  cluster                           = aws_ecs_cluster.this.id
  task_definition                   = aws_ecs_task_definition.this.arn
  launch_type                       = "FARGATE"
  desired_count                     = var.min_tasks
  health_check_grace_period_seconds = var.health_check_grace_seconds
  wait_for_steady_state             = var.wait_for_steady_state
  propagate_tags                    = "SERVICE"
  enable_ecs_managed_tags           = true

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }
  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  network_configuration {
    subnets          = local.task_subnets
    security_groups  = [aws_security_group.task.id]
    assign_public_ip = !local.private_mode
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = local.container.name
    container_port   = var.container_port
  }

  lifecycle {
    ignore_changes = [desired_count] # autoscaling owns it after the first apply
  }

  depends_on = [aws_lb_listener.http, aws_lb_listener.https]
  tags       = local.tags
}
