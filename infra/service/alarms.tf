# CloudWatch cannot publish to a topic encrypted with the AWS-managed key
# alias/aws/sns (its policy cannot be changed to admit CloudWatch), so the topic
# uses a key whose policy does. The key is bootstrap's (infra/bootstrap/alarm_key.tf):
# the deploy role names it by alias and holds no KMS permission at all.
resource "aws_sns_topic" "alarms" {
  count             = var.enable_alarms ? 1 : 0
  name              = "${local.name}-alarms"
  kms_master_key_id = "alias/${local.name}-alarms"
  tags              = local.tags
}

resource "aws_sns_topic_subscription" "email" {
  count     = var.enable_alarms && var.alarm_email != null ? 1 : 0
  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

locals {
  alb_dimensions = {
    LoadBalancer = aws_lb.this.arn_suffix
    TargetGroup  = aws_lb_target_group.this.arn_suffix
  }
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_targets" {
  count               = var.enable_alarms ? 1 : 0
  alarm_name          = "${local.name}-unhealthy-targets"
  alarm_description   = "At least one gateway task fails the load balancer's health check"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = local.alb_dimensions
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms[0].arn]
  ok_actions          = [aws_sns_topic.alarms[0].arn]
  tags                = local.tags
}

resource "aws_cloudwatch_metric_alarm" "p99_latency" {
  count               = var.enable_alarms ? 1 : 0
  alarm_name          = "${local.name}-p99-latency"
  alarm_description   = "Target p99 response time above ${var.p99_latency_threshold_ms} ms"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "TargetResponseTime"
  dimensions          = local.alb_dimensions
  extended_statistic  = "p99"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  threshold           = var.p99_latency_threshold_ms / 1000
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms[0].arn]
  ok_actions          = [aws_sns_topic.alarms[0].arn]
  tags                = local.tags
}

# ---- alarms on a share: 100 * part / whole over a period ----------------------

locals {
  # The load balancer's 5xx share, and the shares of the gateway's own counts
  # (gateway/signals/emf.py, published as EMF lines in its log) when it writes them.
  alb_share_alarms = var.enable_alarms ? {
    "5xx" = {
      part        = { namespace = "AWS/ApplicationELB", metric = "HTTPCode_Target_5XX_Count", dimensions = local.alb_dimensions }
      whole       = { namespace = "AWS/ApplicationELB", metric = "RequestCount", dimensions = local.alb_dimensions }
      period      = 60
      threshold   = var.error_rate_threshold_percent
      description = "Target 5xx responses above ${var.error_rate_threshold_percent}% of requests"
    }
  } : {}
  gateway_share_alarms = local.gateway_metrics && var.enable_alarms ? {
    drift = {
      part        = { namespace = local.metrics_namespace, metric = "OutOfRangeRows", dimensions = {} }
      whole       = { namespace = local.metrics_namespace, metric = "PredictedRows", dimensions = {} }
      period      = 300
      threshold   = var.drift_threshold_percent
      description = "More than ${var.drift_threshold_percent}% of predicted rows have a feature outside the training range: traffic has drifted from what the model was trained on"
    }
    unproven = {
      part        = { namespace = local.metrics_namespace, metric = "UnprovenRows", dimensions = {} }
      whole       = { namespace = local.metrics_namespace, metric = "PredictedRows", dimensions = {} }
      period      = 300
      threshold   = var.unproven_threshold_percent
      description = "More than ${var.unproven_threshold_percent}% of predicted rows lie outside the region where the parity gate proved the ONNX model equal to scikit-learn"
    }
    gateway-5xx = {
      part        = { namespace = local.metrics_namespace, metric = "ServerErrors", dimensions = { Route = "/predict" } }
      whole       = { namespace = local.metrics_namespace, metric = "Requests", dimensions = { Route = "/predict" } }
      period      = 60
      threshold   = var.error_rate_threshold_percent
      description = "The gateway answered more than ${var.error_rate_threshold_percent}% of POST /predict with a 5xx (a fault in the process, not a client's mistake)"
    }
  } : {}
}

resource "aws_cloudwatch_metric_alarm" "share" {
  for_each            = merge(local.alb_share_alarms, local.gateway_share_alarms)
  alarm_name          = "${local.name}-${each.key}-rate"
  alarm_description   = each.value.description
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 3
  datapoints_to_alarm = 2
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms[0].arn]
  ok_actions          = [aws_sns_topic.alarms[0].arn]

  metric_query {
    id          = "share"
    expression  = "100 * part / MAX([part, whole])"
    label       = "${each.value.part.metric} percent of ${each.value.whole.metric}"
    return_data = true
  }
  dynamic "metric_query" {
    for_each = { part = each.value.part, whole = each.value.whole }
    content {
      id = metric_query.key
      metric {
        namespace   = metric_query.value.namespace
        metric_name = metric_query.value.metric
        dimensions  = metric_query.value.dimensions
        period      = each.value.period
        stat        = "Sum"
      }
    }
  }

  tags = local.tags
}

# The load balancer's 5xx alarm was a resource of its own; its state moves here.
moved {
  from = aws_cloudwatch_metric_alarm.error_rate[0]
  to   = aws_cloudwatch_metric_alarm.share["5xx"]
}

resource "aws_cloudwatch_metric_alarm" "gateway_p99" {
  count               = local.gateway_metrics && var.enable_alarms ? 1 : 0
  alarm_name          = "${local.name}-gateway-p99"
  alarm_description   = "The gateway's own p99 for POST /predict (time in the process, without the network) above ${var.p99_latency_threshold_ms} ms"
  namespace           = local.metrics_namespace
  metric_name         = "LatencyP99"
  dimensions          = { Route = "/predict" }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 5
  datapoints_to_alarm = 3
  threshold           = var.p99_latency_threshold_ms
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms[0].arn]
  ok_actions          = [aws_sns_topic.alarms[0].arn]
  tags                = local.tags
}
