# The service's alarm topic (infra/service/alarms.tf) is encrypted with this key:
# CloudWatch cannot publish to a topic under the AWS-managed alias/aws/sns, whose
# policy cannot admit it. Made here, by an admin, so that the deploy role needs no
# KMS permission: a role that may create keys and write their policies can hand
# a key to anyone.
data "aws_iam_policy_document" "alarms_key" {
  # checkov:skip=CKV_AWS_109: a key policy's account statement; "*" is this key, and without it the key could not be managed at all
  # checkov:skip=CKV_AWS_111: as above: in a key policy, "*" means this key only
  # checkov:skip=CKV_AWS_356: as above: in a key policy, "*" means this key only
  statement {
    sid       = "AccountManagesTheKey"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account}:root"]
    }
  }

  statement {
    sid       = "CloudWatchPublishesAlarms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account]
    }
  }
}

resource "aws_kms_key" "alarms" {
  description             = "${var.project} alarm topic: CloudWatch may publish"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.alarms_key.json
  tags                    = local.tags
}

resource "aws_kms_alias" "alarms" {
  name          = "alias/${var.project}-alarms" # the name the service root's topic uses
  target_key_id = aws_kms_key.alarms.key_id
}
