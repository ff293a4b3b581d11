# What the deploy role may do: run the ecr and service roots, wait for and roll
# back the ECS service. It pushes nothing (the push role does) and creates no
# role. Every action is named (no service wildcard): the list is what the
# rehearsal's Terraform apply, update and destroy call, recorded by the emulator
# (tests/infra/test_rehearsal.py checks each call is allowed), plus the updates
# the rehearsal does not make, each marked. Scoped by name (state bucket, the
# project's repository, roles, log groups, keys, the hosted zone) where AWS
# allows it; actions that cannot be scoped to a resource before it exists (EC2
# networking, load balancers, ECS, autoscaling, alarms, WAF) are limited to the
# one region. tests/infra/test_deploy_policy.py runs cloudsplaining on it.
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

  # The ecr root: the repository's settings. Pushing is the push role's.
  statement {
    sid = "EcrProjectRepository"
    actions = [
      "ecr:CreateRepository", "ecr:DescribeRepositories", "ecr:ListTagsForResource", "ecr:GetLifecyclePolicy",
      "ecr:PutLifecyclePolicy", "ecr:DeleteLifecyclePolicy", "ecr:DescribeImages",
      # updates and tags the rehearsal does not make:
      "ecr:TagResource", "ecr:UntagResource", "ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability",
    ]
    resources = [local.repository_arn]
  }

  # Resources that do not exist before Terraform makes them (so no ARN to name)
  # are limited to the region; each action is one the roots call.
  statement {
    sid = "ServiceInfrastructureInRegion"
    actions = [
      # network.tf, security.tf, flow_logs.tf
      "ec2:DescribeAvailabilityZones", "ec2:DescribeVpcs", "ec2:DescribeVpcAttribute", "ec2:CreateVpc",
      "ec2:ModifyVpcAttribute", "ec2:DeleteVpc", "ec2:DescribeSubnets", "ec2:CreateSubnet", "ec2:DeleteSubnet",
      "ec2:DescribeInternetGateways", "ec2:CreateInternetGateway", "ec2:AttachInternetGateway",
      "ec2:DetachInternetGateway", "ec2:DeleteInternetGateway", "ec2:DescribeRouteTables", "ec2:CreateRouteTable",
      "ec2:DeleteRouteTable", "ec2:CreateRoute", "ec2:DeleteRoute", "ec2:AssociateRouteTable",
      "ec2:DisassociateRouteTable", "ec2:DescribeNetworkAcls", "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules", "ec2:CreateSecurityGroup",
      "ec2:DeleteSecurityGroup", "ec2:AuthorizeSecurityGroupIngress", "ec2:AuthorizeSecurityGroupEgress",
      "ec2:RevokeSecurityGroupIngress", "ec2:RevokeSecurityGroupEgress", "ec2:ModifySecurityGroupRules",
      "ec2:DescribeFlowLogs", "ec2:CreateFlowLogs", "ec2:DeleteFlowLogs", "ec2:CreateTags",
      # updates the rehearsal does not make, and private mode's endpoints (task_subnets = "private"):
      "ec2:DeleteTags", "ec2:ReplaceRoute", "ec2:ModifySubnetAttribute",
      "ec2:UpdateSecurityGroupRuleDescriptionsIngress", "ec2:UpdateSecurityGroupRuleDescriptionsEgress",
      "ec2:DescribeVpcEndpoints", "ec2:DescribeVpcEndpointServices", "ec2:DescribePrefixLists",
      "ec2:CreateVpcEndpoint", "ec2:ModifyVpcEndpoint", "ec2:DeleteVpcEndpoints",
      # alb.tf
      "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeLoadBalancerAttributes",
      "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:ModifyLoadBalancerAttributes",
      "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DescribeCapacityReservation",
      "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetGroupAttributes",
      "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes",
      "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:DescribeListeners",
      "elasticloadbalancing:DescribeListenerAttributes", "elasticloadbalancing:CreateListener",
      "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DescribeTags",
      # tags on create (checked, not called), updates the rehearsal does not make, and WAF's association:
      "elasticloadbalancing:AddTags", "elasticloadbalancing:RemoveTags", "elasticloadbalancing:ModifyListener",
      "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:SetSecurityGroups",
      "elasticloadbalancing:SetSubnets", "elasticloadbalancing:SetWebACL",
      # ecs.tf; the pipeline's rollback check reads the service and its task definition
      "ecs:DescribeClusters", "ecs:CreateCluster", "ecs:DeleteCluster", "ecs:DescribeTaskDefinition",
      "ecs:RegisterTaskDefinition", "ecs:DeregisterTaskDefinition", "ecs:DescribeServices", "ecs:CreateService",
      "ecs:UpdateService", "ecs:DeleteService",
      # tags on create (checked, not called) and updates the rehearsal does not make:
      "ecs:TagResource", "ecs:UntagResource", "ecs:ListTagsForResource", "ecs:UpdateCluster",
      # autoscaling.tf
      "application-autoscaling:DescribeScalableTargets", "application-autoscaling:RegisterScalableTarget",
      "application-autoscaling:DeregisterScalableTarget", "application-autoscaling:DescribeScalingPolicies",
      "application-autoscaling:PutScalingPolicy", "application-autoscaling:DeleteScalingPolicy",
      "application-autoscaling:ListTagsForResource", "application-autoscaling:TagResource",
      "application-autoscaling:UntagResource",
      # alarms.tf
      "cloudwatch:DescribeAlarms", "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms",
      "cloudwatch:ListTagsForResource", "cloudwatch:TagResource", "cloudwatch:UntagResource",
      # waf.tf (PutLoggingConfiguration also needs the log delivery actions below)
      "wafv2:CreateWebACL", "wafv2:GetWebACL", "wafv2:UpdateWebACL", "wafv2:DeleteWebACL",
      "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACLForResource",
      "wafv2:PutLoggingConfiguration", "wafv2:GetLoggingConfiguration", "wafv2:DeleteLoggingConfiguration",
      "wafv2:ListTagsForResource", "wafv2:TagResource", "wafv2:UntagResource",
      "logs:DescribeLogGroups", "logs:CreateLogDelivery", "logs:DeleteLogDelivery", "logs:GetLogDelivery",
      "logs:ListLogDeliveries", "logs:PutResourcePolicy", "logs:DescribeResourcePolicies",
    ]
    resources = ["*"]
    condition {
      test     = "StringEquals"
      variable = "aws:RequestedRegion"
      values   = [local.region]
    }
  }

  # The alarm topic (alarms.tf); its key is bootstrap's (alarm_key.tf).
  statement {
    sid = "AlarmTopic"
    actions = [
      "sns:CreateTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes", "sns:DeleteTopic", "sns:Subscribe",
      "sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:ListTagsForResource",
      # tags on create (checked, not called) and later:
      "sns:TagResource", "sns:UntagResource",
    ]
    resources = ["arn:${local.partition}:sns:${local.region}:${local.account}:${var.project}-alarms"]
  }

  # The operator's dashboard (dashboard.tf), by its name only. Dashboards are global:
  # their ARN has no region.
  statement {
    sid       = "ServiceDashboard"
    actions   = ["cloudwatch:PutDashboard", "cloudwatch:GetDashboard", "cloudwatch:DeleteDashboards"]
    resources = ["arn:${local.partition}:cloudwatch::${local.account}:dashboard/${var.project}"]
  }

  # The alias record for domain_name, in the one hosted zone given, when one is.
  dynamic "statement" {
    for_each = var.route53_zone_id == null ? [] : [var.route53_zone_id]
    content {
      sid       = "DnsZoneRead"
      actions   = ["route53:GetHostedZone", "route53:ListResourceRecordSets", "route53:ListTagsForResource"]
      resources = ["arn:${local.partition}:route53:::hostedzone/${statement.value}"]
    }
  }

  dynamic "statement" {
    for_each = var.route53_zone_id == null ? [] : [var.route53_zone_id]
    content {
      sid       = "DnsRecordOfTheService"
      actions   = ["route53:ChangeResourceRecordSets"]
      resources = ["arn:${local.partition}:route53:::hostedzone/${statement.value}"]
      condition {
        test     = "ForAllValues:StringEquals"
        variable = "route53:ChangeResourceRecordSetsNormalizedRecordNames"
        values   = [lower(trimsuffix(var.domain_name, "."))]
      }
      condition {
        test     = "ForAllValues:StringEquals"
        variable = "route53:ChangeResourceRecordSetsRecordTypes"
        values   = ["A", "AAAA"]
      }
    }
  }

  dynamic "statement" {
    for_each = var.route53_zone_id == null ? [] : [var.route53_zone_id]
    content {
      sid       = "DnsChangeStatus"
      actions   = ["route53:GetChange"]
      resources = ["arn:${local.partition}:route53:::change/*"] # change ids are not known in advance
    }
  }

  statement {
    sid = "ProjectLogGroups"
    actions = [
      "logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:ListTagsForResource",
      "logs:TagResource", "logs:UntagResource", "logs:TagLogGroup",
    ]
    resources = [
      "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/ecs/${var.project}*",
      "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:/vpc/${var.project}/*",
      "arn:${local.partition}:logs:${local.region}:${local.account}:log-group:aws-waf-logs-${var.project}*",
    ]
  }

  # The service's roles are bootstrap's (service_roles.tf): read and passed to
  # their own service, never created, changed or given a policy here.
  statement {
    sid       = "ReadTheServiceRoles"
    actions   = ["iam:GetRole"]
    resources = values(local.role_arns)
  }

  statement {
    sid       = "PassTheTaskRolesToEcs"
    actions   = ["iam:PassRole"]
    resources = [local.role_arns.task_execution, local.role_arns.task]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ecs-tasks.amazonaws.com"]
    }
  }

  statement {
    sid       = "PassTheFlowLogsRole"
    actions   = ["iam:PassRole"]
    resources = [local.role_arns.flow_logs]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["vpc-flow-logs.amazonaws.com"]
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
