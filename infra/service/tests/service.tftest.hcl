# Plan-time contracts of the service root, against a mocked AWS provider.
# tests/infra/test_terraform.py runs this with container_port, admin_port,
# health_check_path and liveness_path read from the gateway's own code (-var), so the assertions
# below tie the load balancer and the task to the gateway, not to retyped values.

mock_provider "aws" {
  mock_data "aws_availability_zones" {
    defaults = { names = ["eu-west-1a", "eu-west-1b", "eu-west-1c"] }
  }
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  # The roles are bootstrap's; any ARN of a role will do here.
  mock_data "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/iris-gateway-mocked" }
  }
}

variables {
  aws_region = "eu-west-1"
  image      = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris-gateway:0123abc"
}

run "load_balancer_and_task_speak_the_gateways_port_and_health_route" {
  command = plan

  assert {
    condition     = aws_lb_target_group.this.health_check[0].path == var.health_check_path
    error_message = "the target group must probe the gateway's health route"
  }
  assert {
    condition     = aws_lb_target_group.this.port == var.container_port && one(aws_ecs_service.this.load_balancer).container_port == var.container_port
    error_message = "the target group and the service must use the gateway's port"
  }
  assert {
    condition     = [for m in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].portMappings : m.containerPort] == [var.container_port, var.admin_port]
    error_message = "the container must expose the gateway's public port and its admin port"
  }
  assert {
    condition     = strcontains(join(" ", jsondecode(aws_ecs_task_definition.this.container_definitions)[0].healthCheck.command), "127.0.0.1:${var.admin_port}${var.liveness_path}")
    error_message = "the container health check must probe liveness on the admin port (ECS ignores the image's HEALTHCHECK)"
  }
  assert {
    condition = contains(
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment,
      { name = "GATEWAY_ADMIN_PORT", value = tostring(var.admin_port) }
    )
    error_message = "the gateway must be told which port its operator routes are on"
  }
  assert {
    condition = contains(
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment,
      { name = "GATEWAY_PORT", value = tostring(var.container_port) }
    )
    error_message = "the gateway must be told to listen on the port the load balancer uses"
  }
}

run "the_image_variable_reaches_the_task_definition" {
  command = plan

  variables {
    image = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris-gateway:feedface"
  }

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].image == "123456789012.dkr.ecr.eu-west-1.amazonaws.com/iris-gateway:feedface"
    error_message = "the task must run exactly the image it is given"
  }
}

run "task_is_hardened" {
  command = plan

  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].readonlyRootFilesystem
    error_message = "the root filesystem must be read-only"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].mountPoints[0].containerPath == "/tmp"
    error_message = "a writable /tmp volume must be mounted for the gateway's temporary files"
  }
  assert {
    condition     = !contains(["root", "0", "0:0"], jsondecode(aws_ecs_task_definition.this.container_definitions)[0].user)
    error_message = "the container must run as a non-root user"
  }
  assert {
    condition = contains(
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment,
      { name = "GATEWAY_WORKERS", value = "1" }
    )
    error_message = "one gateway worker per task: scale by tasks"
  }
  assert {
    condition     = one(aws_ecs_cluster.this.setting).name == "containerInsights" && one(aws_ecs_cluster.this.setting).value == "enabled"
    error_message = "container insights must be on"
  }
  assert {
    condition     = aws_cloudwatch_log_group.this.retention_in_days == var.log_retention_days
    error_message = "logs must have a retention"
  }
}

run "deployments_roll_back_on_failure" {
  command = plan

  assert {
    condition     = one(aws_ecs_service.this.deployment_circuit_breaker).enable && one(aws_ecs_service.this.deployment_circuit_breaker).rollback
    error_message = "the deployment circuit breaker must be on, with rollback"
  }
  assert {
    condition     = aws_ecs_service.this.health_check_grace_period_seconds == var.health_check_grace_seconds
    error_message = "new tasks need a health-check grace period"
  }
  assert {
    condition     = aws_ecs_service.this.wait_for_steady_state == true
    error_message = "by default an apply waits for the service to be stable"
  }
}

run "task_security_group_admits_only_the_load_balancer" {
  command = plan

  override_resource {
    target          = aws_security_group.alb
    override_during = plan
    values = {
      id = "sg-0a1b2c3d4e5f60001"
    }
  }

  assert {
    condition     = aws_vpc_security_group_ingress_rule.task_from_alb.referenced_security_group_id == "sg-0a1b2c3d4e5f60001"
    error_message = "the task's only ingress must come from the load balancer's security group"
  }
  assert {
    condition     = aws_vpc_security_group_ingress_rule.task_from_alb.cidr_ipv4 == null && aws_vpc_security_group_ingress_rule.task_from_alb.from_port == var.container_port && aws_vpc_security_group_ingress_rule.task_from_alb.to_port == var.container_port
    error_message = "the task ingress must be the gateway's port from the ALB security group, no CIDR"
  }
}

run "autoscaling_tracks_cpu_and_requests_within_bounds" {
  command = plan

  variables {
    min_tasks = 3
    max_tasks = 9
  }

  assert {
    condition     = aws_appautoscaling_target.this.min_capacity == 3 && aws_appautoscaling_target.this.max_capacity == 9
    error_message = "autoscaling must stay within min_tasks and max_tasks"
  }
  assert {
    condition     = aws_appautoscaling_policy.cpu.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ECSServiceAverageCPUUtilization"
    error_message = "one policy must track CPU"
  }
  assert {
    condition     = aws_appautoscaling_policy.requests.target_tracking_scaling_policy_configuration[0].predefined_metric_specification[0].predefined_metric_type == "ALBRequestCountPerTarget"
    error_message = "one policy must track requests per target"
  }
}

run "autoscaling_bounds_must_be_ordered" {
  command = plan
  variables {
    min_tasks = 5
    max_tasks = 3
  }
  expect_failures = [var.max_tasks]
}

run "shutdown_timings_are_ordered" {
  command = plan

  assert {
    condition     = aws_lb_target_group.this.deregistration_delay < var.drain_seconds && var.drain_seconds + var.shutdown_seconds < jsondecode(aws_ecs_task_definition.this.container_definitions)[0].stopTimeout
    error_message = "deregistration delay < gateway drain < container stop timeout"
  }
  assert {
    condition = contains(
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment,
      { name = "GATEWAY_DRAIN_SECONDS", value = tostring(var.drain_seconds) }
    )
    error_message = "the gateway must drain for the configured time"
  }
}

run "drain_shorter_than_deregistration_is_refused" {
  command = plan
  variables {
    deregistration_delay = 20
    drain_seconds        = 15
  }
  expect_failures = [var.drain_seconds]
}

run "shutdown_longer_than_stop_timeout_is_refused" {
  command = plan
  variables {
    stop_timeout = 20
  }
  expect_failures = [var.shutdown_seconds]
}

run "plain_http_without_a_certificate" {
  command = plan

  assert {
    condition     = length(aws_lb_listener.https) == 0
    error_message = "no HTTPS listener without a certificate"
  }
  assert {
    condition     = aws_lb_listener.http.default_action[0].type == "forward"
    error_message = "without a certificate, port 80 forwards to the gateway"
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.alb_listeners) == 1
    error_message = "only port 80 is open without a certificate"
  }
}

run "https_and_redirect_with_a_certificate" {
  command = plan

  variables {
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0c1d2e3f-aaaa-bbbb-cccc-000000000000"
    domain_name     = "predict.example.com"
  }

  assert {
    condition     = length(aws_lb_listener.https) == 1 && aws_lb_listener.https[0].port == 443 && aws_lb_listener.https[0].ssl_policy == var.ssl_policy
    error_message = "a certificate turns on HTTPS on 443 with the modern TLS policy"
  }
  assert {
    condition     = aws_lb_listener.http.default_action[0].type == "redirect" && aws_lb_listener.http.default_action[0].redirect[0].protocol == "HTTPS"
    error_message = "with a certificate, port 80 redirects to HTTPS"
  }
  assert {
    condition     = length(aws_vpc_security_group_ingress_rule.alb_listeners) == 2
    error_message = "ports 80 and 443 are open with a certificate"
  }
}

run "private_mode_uses_endpoints_and_no_public_ips" {
  command = plan

  variables {
    task_subnets = "private"
  }

  assert {
    condition     = length(aws_subnet.private) == 2 && length(aws_vpc_endpoint.interface) == 3 && length(aws_vpc_endpoint.s3) == 1
    error_message = "private mode needs two private subnets and the ECR, logs and S3 endpoints"
  }
  assert {
    condition     = one(aws_ecs_service.this.network_configuration).assign_public_ip == false
    error_message = "tasks in private subnets get no public IP"
  }
}

run "public_mode_has_no_endpoints" {
  command = plan

  assert {
    condition     = length(aws_vpc_endpoint.interface) == 0 && one(aws_ecs_service.this.network_configuration).assign_public_ip
    error_message = "public mode gives tasks a public IP and pays for no endpoints"
  }
}

run "production_options_toggle" {
  command = plan

  variables {
    enable_alarms = false
    enable_waf    = false
  }

  assert {
    condition     = length(aws_cloudwatch_metric_alarm.share) == 0 && length(aws_sns_topic.alarms) == 0 && length(aws_wafv2_web_acl.this) == 0
    error_message = "alarms and WAF are removable"
  }
}

run "production_options_on_by_default" {
  command = plan

  variables {
    alarm_email = "oncall@example.com"
  }

  assert {
    condition     = contains(keys(aws_cloudwatch_metric_alarm.share), "5xx") && length(aws_cloudwatch_metric_alarm.unhealthy_targets) == 1 && length(aws_cloudwatch_metric_alarm.p99_latency) == 1
    error_message = "the three alarms exist by default"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.p99_latency[0].extended_statistic == "p99" && length(aws_sns_topic_subscription.email) == 1
    error_message = "latency alarms on p99, and the e-mail subscribes to the topic"
  }
  assert {
    condition     = one([for rule in aws_wafv2_web_acl.this[0].rule : rule.statement[0].rate_based_statement[0].limit if rule.name == "rate-limit-per-ip"]) == var.waf_rate_limit
    error_message = "WAF rate-limits per IP"
  }
}

run "a_certificate_without_its_domain_name_is_refused" {
  command = plan

  variables {
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0c1d2e3f-aaaa-bbbb-cccc-000000000000"
  }

  expect_failures = [var.domain_name]
}

run "https_base_url_is_the_domain_and_the_zone_gets_an_alias" {
  command = plan

  override_resource {
    target          = aws_lb.this
    override_during = plan
    values = {
      arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/iris-gateway/1"
      arn_suffix = "app/iris-gateway/1"
      dns_name   = "iris-gateway-123.eu-west-1.elb.amazonaws.com"
      zone_id    = "Z32O12XQLNTSW2"
    }
  }

  variables {
    certificate_arn = "arn:aws:acm:eu-west-1:123456789012:certificate/0c1d2e3f-aaaa-bbbb-cccc-000000000000"
    domain_name     = "predict.example.com"
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }

  assert {
    condition     = output.base_url == "https://predict.example.com" && output.predict_url == "https://predict.example.com/predict"
    error_message = "with a certificate, clients and the smoke test use the certificate's name, not the load balancer's"
  }
  assert {
    condition     = length(aws_route53_record.this) == 1 && aws_route53_record.this[0].name == "predict.example.com" && one(aws_route53_record.this[0].alias).name == aws_lb.this.dns_name
    error_message = "the hosted zone gets an alias from domain_name to the load balancer"
  }
}

run "plain_http_base_url_is_the_load_balancer" {
  command = plan

  override_resource {
    target          = aws_lb.this
    override_during = plan
    values = {
      arn        = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/iris-gateway/1"
      arn_suffix = "app/iris-gateway/1"
      dns_name   = "iris-gateway-123.eu-west-1.elb.amazonaws.com"
      zone_id    = "Z32O12XQLNTSW2"
    }
  }

  assert {
    condition     = output.base_url == "http://iris-gateway-123.eu-west-1.elb.amazonaws.com" && length(aws_route53_record.this) == 0
    error_message = "without a certificate the base URL is the load balancer's own name over http"
  }
}

run "docs_are_served_by_default" {
  command = plan

  assert {
    condition = contains(
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment,
      { name = "GATEWAY_SERVE_DOCS", value = "true" }
    )
    error_message = "the gateway serves /docs unless serve_docs says otherwise"
  }
}

run "docs_are_hidden_by_the_gateway_itself" {
  command = plan

  variables {
    serve_docs = false
  }

  assert {
    condition = contains(
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment,
      { name = "GATEWAY_SERVE_DOCS", value = "false" }
    )
    error_message = "serve_docs = false removes the route in the gateway, where no spelling of the path reaches it"
  }
}

run "the_admin_port_cannot_be_the_public_one" {
  command = plan

  variables {
    admin_port = 8080
  }

  expect_failures = [var.admin_port]
}

run "alarms_publish_through_bootstraps_key" {
  command = plan

  assert {
    condition     = aws_sns_topic.alarms[0].kms_master_key_id == "alias/iris-gateway-alarms"
    error_message = "the alarm topic is encrypted with bootstrap's key (CloudWatch cannot use alias/aws/sns), named by alias"
  }
}

run "the_gateways_own_metrics_are_on_alarmed_and_on_the_dashboard_by_default" {
  command = plan

  assert {
    condition = contains(
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment,
      { name = "GATEWAY_EMF_SECONDS", value = tostring(var.emf_seconds) }
    )
    error_message = "the task asks the gateway for EMF documents"
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.share)) == toset(["5xx", "drift", "unproven", "gateway-5xx"]) && length(aws_cloudwatch_metric_alarm.gateway_p99) == 1
    error_message = "drift, unproven-row, gateway p99 and gateway 5xx alarms exist by default"
  }
  assert {
    condition     = aws_cloudwatch_metric_alarm.share["drift"].threshold == var.drift_threshold_percent && aws_cloudwatch_metric_alarm.share["unproven"].threshold == var.unproven_threshold_percent && aws_cloudwatch_metric_alarm.share["gateway-5xx"].threshold == var.error_rate_threshold_percent
    error_message = "the share alarms use their variables"
  }
  assert {
    condition     = length(local.dashboard_widgets) == 5
    error_message = "the dashboard shows the load balancer's two widgets and the gateway's three"
  }
}

run "without_emf_the_gateway_alarms_and_widgets_go" {
  command = plan

  variables {
    emf_seconds = 0
  }

  assert {
    condition = contains(
      jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment,
      { name = "GATEWAY_EMF_SECONDS", value = "0" }
    )
    error_message = "the gateway writes no EMF documents"
  }
  assert {
    condition     = toset(keys(aws_cloudwatch_metric_alarm.share)) == toset(["5xx"]) && length(aws_cloudwatch_metric_alarm.gateway_p99) == 0
    error_message = "no alarm watches metrics nobody writes"
  }
  assert {
    condition     = length(local.dashboard_widgets) == 2
    error_message = "only the load balancer's widgets remain"
  }
}

run "a_share_threshold_outside_0_to_100_is_refused" {
  command = plan

  variables {
    drift_threshold_percent = 150
  }

  expect_failures = [var.drift_threshold_percent]
}

run "no_tracing_runs_the_gateway_alone" {
  command = plan

  assert {
    condition     = length(jsondecode(aws_ecs_task_definition.this.container_definitions)) == 1
    error_message = "with trace_ratio 0 the task runs the gateway only, no collector"
  }
  assert {
    condition     = length([for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e if startswith(e.name, "OTEL_") || e.name == "GATEWAY_TRACE_RATIO"]) == 0
    error_message = "with trace_ratio 0 the gateway is told nothing about tracing"
  }
}

run "tracing_adds_a_loopback_collector_for_xray" {
  command = plan

  variables {
    trace_ratio     = 0.01
    collector_image = "public.ecr.aws/aws-observability/aws-otel-collector@sha256:0000000000000000000000000000000000000000000000000000000000000000"
    task_subnets    = "private"
  }

  assert {
    condition     = [for c in jsondecode(aws_ecs_task_definition.this.container_definitions) : c.name] == ["gateway", "otel-collector"]
    error_message = "tracing runs the collector beside the gateway"
  }
  assert {
    condition = {
      for e in jsondecode(aws_ecs_task_definition.this.container_definitions)[0].environment : e.name => e.value
      if startswith(e.name, "OTEL_") || e.name == "GATEWAY_TRACE_RATIO"
      } == {
      GATEWAY_TRACE_RATIO         = "0.01"
      OTEL_EXPORTER_OTLP_ENDPOINT = "http://127.0.0.1:4318"
      OTEL_SERVICE_NAME           = "iris-gateway"
    }
    error_message = "the gateway gets its ratio, the collector's loopback address and the service's name"
  }
  assert {
    condition     = jsondecode(aws_ecs_task_definition.this.container_definitions)[0].dependsOn == [{ containerName = "otel-collector", condition = "START" }]
    error_message = "the gateway starts once its collector has"
  }
  assert {
    condition = alltrue([
      !jsondecode(aws_ecs_task_definition.this.container_definitions)[1].essential,
      jsondecode(aws_ecs_task_definition.this.container_definitions)[1].readonlyRootFilesystem,
      jsondecode(aws_ecs_task_definition.this.container_definitions)[1].user == var.container_user,
      length(lookup(jsondecode(aws_ecs_task_definition.this.container_definitions)[1], "portMappings", [])) == 0,
    ])
    error_message = "the collector is not essential (losing it loses traces, not the service), runs read-only and unprivileged, and maps no port"
  }
  assert {
    condition = yamldecode(jsondecode(aws_ecs_task_definition.this.container_definitions)[1].environment[0].value) == {
      receivers  = { otlp = { protocols = { http = { endpoint = "127.0.0.1:4318" } } } }
      processors = { batch = {} }
      exporters  = { awsxray = { region = "eu-west-1" } }
      service    = { pipelines = { traces = { receivers = ["otlp"], processors = ["batch"], exporters = ["awsxray"] } } }
    }
    error_message = "the collector receives OTLP/HTTP on loopback only and exports traces to X-Ray, nothing else"
  }
  assert {
    condition     = contains(keys(aws_vpc_endpoint.interface), "xray") && length(aws_vpc_endpoint.interface) == 4
    error_message = "in private mode X-Ray is reached through its own endpoint"
  }
}

run "tracing_needs_a_collector_image" {
  command = plan

  variables {
    trace_ratio = 0.01
  }

  expect_failures = [var.collector_image]
}

run "the_collector_image_is_pinned_by_digest" {
  command = plan

  variables {
    trace_ratio     = 0.01
    collector_image = "public.ecr.aws/aws-observability/aws-otel-collector:latest"
  }

  expect_failures = [var.collector_image]
}

run "trace_ratio_is_a_share" {
  command = plan

  variables {
    trace_ratio = 1.5
  }

  expect_failures = [var.trace_ratio]
}
