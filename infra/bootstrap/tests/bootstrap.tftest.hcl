mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_data "aws_partition" {
    defaults = { partition = "aws" }
  }
}

variables {
  aws_region        = "eu-west-1"
  state_bucket_name = "example-iris-tf-state"
  github_repository = "example-org/iris-onnx-serving"
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

run "deploy_role_trusts_only_this_repository_and_branch" {
  command = plan

  assert {
    condition = alltrue([
      for value in one([
        for condition in data.aws_iam_policy_document.deploy_trust.statement[0].condition :
        condition.values if condition.variable == "token.actions.githubusercontent.com:sub"
      ]) : startswith(value, "repo:example-org/iris-onnx-serving:")
    ])
    error_message = "only the named repository may assume the deploy role"
  }
  assert {
    condition = contains(one([
      for condition in data.aws_iam_policy_document.deploy_trust.statement[0].condition :
      condition.values if condition.variable == "token.actions.githubusercontent.com:sub"
    ]), "repo:example-org/iris-onnx-serving:ref:refs/heads/main")
    error_message = "the main branch must be trusted"
  }
  assert {
    condition = one([
      for condition in data.aws_iam_policy_document.deploy_trust.statement[0].condition :
      condition.values if condition.variable == "token.actions.githubusercontent.com:aud"
    ]) == tolist(["sts.amazonaws.com"])
    error_message = "the token audience must be STS"
  }
  assert {
    condition     = data.aws_iam_policy_document.deploy_trust.statement[0].actions == toset(["sts:AssumeRoleWithWebIdentity"])
    error_message = "the role is assumed by web identity (OIDC) only"
  }
}

run "an_existing_oidc_provider_needs_its_arn" {
  command = plan
  variables {
    create_oidc_provider = false
  }
  expect_failures = [var.existing_oidc_provider_arn]
}
