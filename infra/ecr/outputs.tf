output "repository_url" {
  description = "Where CI pushes the serving image (tag: the commit SHA)."
  value       = aws_ecr_repository.this.repository_url
}

output "repository_arn" {
  description = "ARN of the repository, for IAM policies."
  value       = aws_ecr_repository.this.arn
}
