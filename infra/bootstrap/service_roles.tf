# The roles the service's resources run as, made here by an admin once, so that
# the deploy role never creates a role or writes a policy: it only passes these
# three to their services (deploy_permissions.tf). A role it could create would
# take any policy and any trust, and so be an admin of the account.
locals {
  role_names = {
    task_execution = "${var.project}-task-execution"
    task           = "${var.project}-task"
    flow_logs      = "${var.project}-flow-logs"
  }
  role_arns = { for key, name in local.role_names : key => "arn:${local.partition}:iam::${local.account}:role/${name}" }
  # What the service root names (infra/service): its log groups and the image repository.
  task_log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/ecs/${var.project}"
  flow_log_group_arn = "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/vpc/${var.project}/flow-logs"
  repository_arn     = "arn:${local.partition}:ecr:${local.region}:${local.account}:repository/${var.project}"
}

# Only this account's ECS tasks (and flow logs) may assume them: the services'
# confused-deputy guard.
data "aws_iam_policy_document" "assumed_by" {
  for_each = {
    task_execution = "ecs-tasks.amazonaws.com"
    task           = "ecs-tasks.amazonaws.com"
    flow_logs      = "vpc-flow-logs.amazonaws.com"
  }

  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = [each.value]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

# Used by ECS itself: pull the project's image, write the task's log stream.
# Narrower than AmazonECSTaskExecutionRolePolicy, which reads every repository
# and writes every log group.
data "aws_iam_policy_document" "task_execution" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action has no resource
  }

  statement {
    sid       = "PullTheProjectImage"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [local.repository_arn]
  }

  statement {
    sid       = "WriteTheTaskLog"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.task_log_group_arn}:*"]
  }
}

data "aws_iam_policy_document" "flow_logs" {
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${local.flow_log_group_arn}:*"]
  }
}

resource "aws_iam_role" "service" {
  for_each           = local.role_names
  name               = each.value
  description        = "${var.project}: ${replace(each.key, "_", " ")} (passed by the deploy role, never created by it)"
  assume_role_policy = data.aws_iam_policy_document.assumed_by[each.key].json
  tags               = local.tags
}

resource "aws_iam_role_policy" "task_execution" {
  name   = "pull-image-write-log"
  role   = aws_iam_role.service["task_execution"].id
  policy = data.aws_iam_policy_document.task_execution.json
}

resource "aws_iam_role_policy" "flow_logs" {
  name   = "write-flow-logs"
  role   = aws_iam_role.service["flow_logs"].id
  policy = data.aws_iam_policy_document.flow_logs.json
}

# The gateway's own code calls no AWS API: the task role has no policy at all, but
# X-Ray's writes when tracing is on (below).

# With tracing on (the service's trace_ratio above 0), the ADOT collector beside the
# gateway, which runs as the task role, writes the spans to X-Ray. These two are
# all its awsxray exporter calls (no sampling rules: the gateway samples itself),
# and X-Ray has no resource-level permission for them: "*" is the only resource.
data "aws_iam_policy_document" "write_traces" {
  count = var.tracing ? 1 : 0

  statement {
    sid       = "WriteTraces"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "write_traces" {
  count  = var.tracing ? 1 : 0
  name   = "write-traces"
  role   = aws_iam_role.service["task"].name
  policy = data.aws_iam_policy_document.write_traces[0].json
}
