# One page for an operator: the load balancer's figures beside the gateway's own
# (gateway/signals/emf.py): traffic, errors, p99, drift, unproven rows and predictions per class.
locals {
  dashboard_widgets = concat([
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title = "Requests and 5xx (load balancer)", region = var.aws_region, stat = "Sum", period = 60
        metrics = [
          ["AWS/ApplicationELB", "RequestCount", "LoadBalancer", aws_lb.this.arn_suffix],
          ["AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "LoadBalancer", aws_lb.this.arn_suffix],
          ["AWS/ApplicationELB", "HTTPCode_ELB_5XX_Count", "LoadBalancer", aws_lb.this.arn_suffix],
        ]
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title   = "p99 response time, seconds (load balancer)", region = var.aws_region, stat = "p99", period = 60
        metrics = [["AWS/ApplicationELB", "TargetResponseTime", "LoadBalancer", aws_lb.this.arn_suffix]]
      }
    },
    ], [for widget in [
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title  = "Drift: % of predicted rows outside the training range, and outside the proven region"
          region = var.aws_region, period = 300
          metrics = [
            [{ expression = "100 * out / MAX([out, rows])", label = "outside the training range %", id = "drift" }],
            [{ expression = "100 * unproven / MAX([unproven, rows])", label = "outside the proven region %", id = "share" }],
            [local.metrics_namespace, "OutOfRangeRows", { id = "out", stat = "Sum", visible = false }],
            [local.metrics_namespace, "UnprovenRows", { id = "unproven", stat = "Sum", visible = false }],
            [local.metrics_namespace, "PredictedRows", { id = "rows", stat = "Sum", visible = false }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title = "The gateway's p99 (ms) and 5xx, POST /predict", region = var.aws_region, period = 60
          metrics = [
            [local.metrics_namespace, "LatencyP99", "Route", "/predict", { stat = "Maximum" }],
            [local.metrics_namespace, "ServerErrors", "Route", "/predict", { stat = "Sum", yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 12, width = 24, height = 6
        properties = {
          title   = "Predictions per class", region = var.aws_region, period = 300, stat = "Sum"
          metrics = [[{ expression = "SEARCH('{${local.metrics_namespace},Model,ModelVersion,Class} MetricName=\"ClassPredictions\"', 'Sum', 300)", id = "classes" }]]
        }
      },
  ] : widget if local.gateway_metrics])
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = local.name
  dashboard_body = jsonencode({ widgets = local.dashboard_widgets })
}
