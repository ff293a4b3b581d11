# Tracing (trace_ratio above 0): an AWS Distro for OpenTelemetry collector beside the
# gateway in each task. The gateway sends the spans it samples by OTLP/HTTP to
# 127.0.0.1:4318, inside the task (awsvpc: one network namespace, so no security
# group rule), and the collector batches them to AWS X-Ray as the task role, over
# the tasks' HTTPS egress (an X-Ray endpoint in private mode, network.tf). The
# collector listens on loopback only: nothing outside the task can send it spans.
locals {
  tracing = var.trace_ratio > 0

  collector_config = yamlencode({
    receivers  = { otlp = { protocols = { http = { endpoint = "127.0.0.1:4318" } } } }
    processors = { batch = {} }
    exporters  = { awsxray = { region = var.aws_region } }
    service = {
      pipelines = { traces = { receivers = ["otlp"], processors = ["batch"], exporters = ["awsxray"] } }
    }
  })

  # Not essential: a collector that fails loses traces, never the service.
  collector = {
    name                   = "otel-collector"
    image                  = var.collector_image
    essential              = false
    user                   = var.container_user
    command                = ["--config=env:AOT_CONFIG_CONTENT"]
    environment            = [{ name = "AOT_CONFIG_CONTENT", value = local.collector_config }]
    readonlyRootFilesystem = true
    logConfiguration = {
      logDriver = "awslogs"
      options   = merge(local.log_options, { awslogs-stream-prefix = "collector" })
    }
  }

  # What the gateway is told when tracing is on: its ratio, where the collector
  # is, and the service's name in X-Ray.
  tracing_environment = local.tracing ? {
    GATEWAY_TRACE_RATIO         = tostring(var.trace_ratio)
    OTEL_EXPORTER_OTLP_ENDPOINT = "http://127.0.0.1:4318"
    OTEL_SERVICE_NAME           = local.name
  } : {}

  # Built as JSON: the two lists hold containers of different shapes, which one
  # conditional expression cannot join.
  container_definitions = local.tracing ? jsonencode([
    merge(local.container, { dependsOn = [{ containerName = local.collector.name, condition = "START" }] }),
    local.collector,
  ]) : jsonencode([local.container])
}
