# The task's roles are made by the bootstrap root (infra/bootstrap/service_roles.tf)
# and only looked up here: the deploy role that applies this root may pass them
# to ECS, but can create no role and write no policy.
data "aws_iam_role" "task_execution" {
  name = "${local.name}-task-execution" # used by ECS: pull the image, write the log stream
}

data "aws_iam_role" "task" {
  name = "${local.name}-task" # used by the gateway's own code, which calls no AWS API: no policy
}

data "aws_partition" "current" {}
