# What the deploy role may do: run the ecr and service roots, push the image,
# wait for and roll back the ECS service. Scoped by name (state bucket, the
# project's repository, roles and log groups) where AWS allows it; services whose
# actions cannot be scoped to a resource before it exists (EC2 networking, load
# balancers, ECS, autoscaling, alarms, WAF) are limited to the one region.
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  account   = data.aws_caller_identity.current.account_id
  partition = data.aws_partition.current.partition
  region    = var.aws_region
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid       = "StateBucketList"
    actions   = ["s3:ListBucket", "s3:GetBucketVersioning"]
    resources = [aws_s3_bucket.state.arn]
  }

  statement {
    sid       = "StateObjects"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] # DeleteObject: the S3 lock file
    resources = ["${aws_s3_bucket.state.arn}/*"]
  }

  statement {
    sid       = "EcrLogin"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"] # this action has no resource
  }

  statement {
    sid = "EcrProjectRepository"
    actions = [
      "ecr:CreateRepository", "ecr:DescribeRepositories", "ecr:ListTagsForResource", "ecr:TagResource",
      "ecr:UntagResource", "ecr:PutLifecyclePolicy", "ecr:GetLifecyclePolicy", "ecr:DeleteLifecyclePolicy",
      "ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability", "ecr:GetRepositoryPolicy",
      "ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
      "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage", "ecr:DescribeImages",
      "ecr:GetDownloadUrlForLayer",
    ]
    resources = ["arn:${local.partition}:ecr:${local.region}:${local.account}:repository/${var.project}"]
  }

  statement {
    sid = "ServiceInfrastructureInRegion"
    actions = [
      "ec2:*", "elasticloadbalancing:*", "ecs:*", "application-autoscaling:*", "cloudwatch:*",
      "sns:*", "wafv2:*", "logs:DescribeLogGroups", "logs:ListTagsForResource", "logs:ListTagsLogGroup",
      # WAF logging delivers to a log group through a log delivery and resource policy.
      "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:GetLogDelivery", "logs:ListLogDeliveries",
      "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  # The alarm topic's own key (infra/service/alarms.tf). CreateKey cannot be
  # scoped to a key that does not exist yet; the rest are limited to keys tagged
  # with this project.
  statement {
    sid       = "AlarmKeyCreate"
    actions   = ["kms:CreateKey", "kms:TagResource", "kms:ListAliases"]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  statement {
    sid = "AlarmKeyManage"
    actions = [
      "kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus",
      "kms:EnableKeyRotation", "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource",
      "kms:ScheduleKeyDeletion",
    ]
    resources = ["arn:${local.partition}:kms:${local.region}:${local.account}:key/*"]
    condition {
      test     = "StringEquals"
      variable = "aws:ResourceTag/Project"
      values   = [var.project]
    }
  }

  # The alias record for domain_name, when a hosted zone is given.
  statement {
    sid = "DnsRecord"
    actions = [
      "route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ChangeResourceRecordSets",
      "route53:GetChange",
    ]
    resources = ["arn:${local.partition}:route53:::hostedzone/*", "arn:${local.partition}:route53:::change/*"]
  }

  statement {
    sid = "ProjectLogGroups"
    actions = [
      "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:TagResource",
      "logs:UntagResource", "logs:TagLogGroup",
    ]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/ecs/${var.project}*",
      "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/vpc/${var.project}/*",
      "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:aws-waf-logs-${var.project}*",
    ]
  }

  statement {
    sid = "ProjectRoles"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:TagRole", "iam:UntagRole", "iam:UpdateRole",
      "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:ListInstanceProfilesForRole",
      "iam:UpdateAssumeRolePolicy", "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy",
    ]
    resources = ["arn:${local.partition}:iam::${local.account}:role/${var.project}-task*"]
  }

  statement {
    sid       = "OnlyTheEcsExecutionPolicy"
    actions   = ["iam:AttachRolePolicy", "iam:DetachRolePolicy"]
    resources = ["arn:${local.partition}:iam::${local.account}:role/${var.project}-task*"]
    condition {
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = ["arn:${local.partition}:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"]
    }
  }

  statement {
    sid       = "PassProjectRolesToTheirServices"
    actions   = ["iam:PassRole"]
    resources = ["arn:${local.partition}:iam::${local.account}:role/${var.project}-task*"]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com", "vpc-flow-logs.amazonaws.com"]
    }
  }

  statement {
    sid       = "ServiceLinkedRoles"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:${local.partition}:iam::${local.account}:role/aws-service-role/*"]
    condition {
      test     = "StringEquals"
      variable = "iam:AWSServiceName"
      values = [
        "ecs.amazonaws.com", "elasticloadbalancing.amazonaws.com",
        "ecs.application-autoscaling.amazonaws.com",
      ]
    }
  }
}

resource "aws_iam_policy" "deploy" {
  name        = "${var.project}-github-deploy"
  description = "Run the ecr and service roots, push the image, deploy and roll back"
  policy      = data.aws_iam_policy_document.deploy.json
  tags        = local.tags
}

resource "aws_iam_role_policy_attachment" "deploy" {
  role       = aws_iam_role.deploy.name
  policy_arn = aws_iam_policy.deploy.arn
}
