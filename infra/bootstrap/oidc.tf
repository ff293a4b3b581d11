# GitHub Actions proves who it is with a short-lived OIDC token; no AWS keys
# are stored anywhere. Two roles, each for one job of the pipeline:
#   push   - the build job: push the image to the project's repository, read its scan;
#   deploy - the jobs in the deploy environment: run the ecr and service roots.
# Both trust only workflows of this repository run from its main branch; STS
# checks the token's `ref` and `job_workflow_ref` claims as well as its subject,
# so a branch whose workflow declares the environment, a pull request or a fork
# gets neither.
resource "aws_iam_openid_connect_provider" "github" {
  count          = var.create_oidc_provider ? 1 : 0
  url            = "https://token.actions.githubusercontent.com"
  client_id_list = ["sts.amazonaws.com"]
  tags           = local.tags
}

locals {
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : var.existing_oidc_provider_arn
  main_ref          = "refs/heads/${var.github_branch}"
  # The workflow files, as they run from main: any other file, or the same file
  # from another branch, is refused.
  workflow_refs = {
    for role, files in { push = ["ci-cd.yml"], deploy = ["ci-cd.yml", "destroy.yml"] } :
    role => [for file in files : "${var.github_repository}/.github/workflows/${file}@${local.main_ref}"]
  }
  # The subject: the build job runs on main with no environment; the deploy jobs
  # run in the deploy environment.
  subjects = {
    push   = "repo:${var.github_repository}:ref:${local.main_ref}"
    deploy = "repo:${var.github_repository}:environment:${var.github_environment}"
  }
}

data "aws_iam_policy_document" "github_trust" {
  for_each = local.subjects

  statement {
    actions = ["sts:AssumeRoleWithWebIdentity"]
    principals {
      type        = "Federated"
      identifiers = [local.oidc_provider_arn]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:aud"
      values   = ["sts.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:sub"
      values   = [each.value]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:ref"
      values   = [local.main_ref]
    }
    condition {
      test     = "StringEquals"
      variable = "token.actions.githubusercontent.com:job_workflow_ref"
      values   = local.workflow_refs[each.key]
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = "${var.project}-github-deploy"
  description          = "Assumed by ${var.github_repository}'s deploy jobs (environment ${var.github_environment}, main) through GitHub OIDC"
  assume_role_policy   = data.aws_iam_policy_document.github_trust["deploy"].json
  max_session_duration = 3600
  tags                 = local.tags
}

resource "aws_iam_role" "push" {
  name                 = "${var.project}-github-push"
  description          = "Assumed by ${var.github_repository}'s build job on main through GitHub OIDC: push one repository"
  assume_role_policy   = data.aws_iam_policy_document.github_trust["push"].json
  max_session_duration = 3600
  tags                 = local.tags
}

# The build job's whole permission: log in, push and read back the project's image
# and its scan. It cannot create, configure or delete anything.
data "aws_iam_policy_document" "push" {
  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action has no resource
  }

  statement {
    sid = "PushTheProjectImage"
    actions = [
      "ecr:DescribeRepositories", "ecr:DescribeImages", "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload",
      "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage",
      "ecr:DescribeImageScanFindings", "ecr:StartImageScan",
    ]
    resources = [local.repository_arn]
  }
}

resource "aws_iam_role_policy" "push" {
  name   = "push-the-project-image"
  role   = aws_iam_role.push.id
  policy = data.aws_iam_policy_document.push.json
}
