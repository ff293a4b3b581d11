# VPC flow logs: who talked to what, for incident review.
resource "aws_cloudwatch_log_group" "flow_logs" {
  # checkov:skip=CKV_AWS_158: encrypted at rest with the service's own key; flow records hold addresses and ports, no payloads
  # checkov:skip=CKV_AWS_338: retention is a variable (log_retention_days)
  name              = "/vpc/${local.name}/flow-logs"
  retention_in_days = var.log_retention_days
  tags              = local.tags
}

# Its role is bootstrap's (infra/bootstrap/service_roles.tf), passed, never made here.
data "aws_iam_role" "flow_logs" {
  name = "${local.name}-flow-logs"
}

resource "aws_flow_log" "this" {
  vpc_id          = aws_vpc.this.id
  traffic_type    = "ALL"
  log_destination = aws_cloudwatch_log_group.flow_logs.arn
  iam_role_arn    = data.aws_iam_role.flow_logs.arn
  tags            = local.tags
}
