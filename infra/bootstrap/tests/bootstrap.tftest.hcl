mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
  # Rendered for real in tests/infra (bootstrap applied to the emulator); here only their inputs are checked.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
}

variables {
  aws_region        = "eu-west-1"
  state_bucket_name = "example-proven-onnx-tf-state"
  github_repository = "example-org/proven-onnx"
}

run "state_bucket_is_versioned_encrypted_and_private" {
  command = plan

  assert {
    condition     = aws_s3_bucket_versioning.state.versioning_configuration[0].status == "Enabled"
    error_message = "state must be versioned"
  }
  assert {
    condition     = one(aws_s3_bucket_server_side_encryption_configuration.state.rule).apply_server_side_encryption_by_default[0].sse_algorithm == "aws:kms"
    error_message = "state must be encrypted"
  }
  assert {
    condition = alltrue([
      aws_s3_bucket_public_access_block.state.block_public_acls,
      aws_s3_bucket_public_access_block.state.block_public_policy,
      aws_s3_bucket_public_access_block.state.ignore_public_acls,
      aws_s3_bucket_public_access_block.state.restrict_public_buckets,
    ])
    error_message = "public access must be blocked"
  }
}

# Which tokens the trust policies admit is evaluated claim by claim in
# tests/infra/test_trust.py, on the policies as applied; these check the inputs.
run "pipeline_roles_trust_only_this_repository_from_main" {
  command = plan

  assert {
    condition = alltrue(flatten([
      for role in ["push", "deploy"] : [
        for condition in data.aws_iam_policy_document.github_trust[role].statement[0].condition :
        condition.values == tolist(["refs/heads/main"]) if condition.variable == "token.actions.githubusercontent.com:ref"
      ]
    ]))
    error_message = "both roles require the token's ref to be main"
  }
  assert {
    condition = one([
      for condition in data.aws_iam_policy_document.github_trust["deploy"].statement[0].condition :
      condition.values if condition.variable == "token.actions.githubusercontent.com:sub"
    ]) == tolist(["repo:example-org/proven-onnx:environment:production"])
    error_message = "only the deploy environment's jobs may assume the deploy role"
  }
  assert {
    condition = one([
      for condition in data.aws_iam_policy_document.github_trust["push"].statement[0].condition :
      condition.values if condition.variable == "token.actions.githubusercontent.com:sub"
    ]) == tolist(["repo:example-org/proven-onnx:ref:refs/heads/main"])
    error_message = "the push role is the build job's, on main"
  }
  assert {
    condition     = data.aws_iam_policy_document.github_trust["deploy"].statement[0].actions == toset(["sts:AssumeRoleWithWebIdentity"])
    error_message = "the role is assumed by web identity (OIDC) only"
  }
}

run "no_hosted_zone_no_dns_permission" {
  command = plan

  assert {
    condition     = length([for statement in data.aws_iam_policy_document.deploy.statement : statement if startswith(coalesce(statement.sid, "-"), "Dns")]) == 0
    error_message = "without route53_zone_id the deploy role has no Route 53 action"
  }
}

run "a_hosted_zone_gives_dns_permission_for_it" {
  command = plan
  variables {
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
    domain_name     = "predict.example.com"
  }

  assert {
    condition     = length([for statement in data.aws_iam_policy_document.deploy.statement : statement if startswith(coalesce(statement.sid, "-"), "Dns")]) == 3
    error_message = "with a zone, the deploy role may read it, change the service's record and follow the change"
  }
}

run "a_hosted_zone_needs_the_domain_name" {
  command = plan
  variables {
    route53_zone_id = "Z0123456789ABCDEFGHIJ"
  }
  expect_failures = [var.domain_name]
}

run "alarm_key_rotates_and_admits_cloudwatch" {
  command = plan

  assert {
    condition     = aws_kms_key.alarms.enable_key_rotation && aws_kms_alias.alarms.name == "alias/iris-gateway-alarms"
    error_message = "the alarm topic's key rotates, under the alias the service root names"
  }
  assert {
    condition     = contains([for statement in data.aws_iam_policy_document.alarms_key.statement : statement.sid], "CloudWatchPublishesAlarms")
    error_message = "CloudWatch must be able to use the key to publish alarms"
  }
}

run "an_existing_oidc_provider_needs_its_arn" {
  command = plan
  variables {
    create_oidc_provider = false
  }
  expect_failures = [var.existing_oidc_provider_arn]
}

run "without_tracing_the_task_role_has_no_policy" {
  command = plan

  assert {
    condition     = length(aws_iam_role_policy.write_traces) == 0
    error_message = "the gateway calls no AWS API: its task role has no policy unless tracing is on"
  }
}

run "tracing_gives_the_task_role_xray_writes_only" {
  command = plan

  variables {
    tracing = true
  }

  assert {
    condition     = aws_iam_role_policy.write_traces[0].role == "iris-gateway-task"
    error_message = "the X-Ray policy belongs to the task role, which the collector runs as"
  }
  assert {
    condition     = length(data.aws_iam_policy_document.write_traces[0].statement) == 1 && one(data.aws_iam_policy_document.write_traces[0].statement).actions == toset(["xray:PutTelemetryRecords", "xray:PutTraceSegments"])
    error_message = "the collector's awsxray exporter needs these two actions, nothing more"
  }
}
