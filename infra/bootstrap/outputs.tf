output "state_bucket" {
  description = "Set as the repository variable TF_STATE_BUCKET."
  value       = aws_s3_bucket.state.bucket
}

output "deploy_role_arn" {
  description = "Set as the repository variable AWS_DEPLOY_ROLE_ARN."
  value       = aws_iam_role.deploy.arn
}

output "push_role_arn" {
  description = "Set as the repository variable AWS_PUSH_ROLE_ARN (the build job's role)."
  value       = aws_iam_role.push.arn
}

output "aws_region" {
  description = "Set as the repository variable AWS_REGION."
  value       = var.aws_region
}
