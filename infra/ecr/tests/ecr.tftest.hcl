mock_provider "aws" {}

variables {
  aws_region = "eu-west-1"
}

run "repository_is_immutable_scanned_and_encrypted" {
  command = plan

  assert {
    condition     = aws_ecr_repository.this.image_tag_mutability == "IMMUTABLE"
    error_message = "image tags must be immutable: a commit SHA names one image forever"
  }
  assert {
    condition     = aws_ecr_repository.this.image_scanning_configuration[0].scan_on_push
    error_message = "images must be scanned on push"
  }
  assert {
    condition     = aws_ecr_repository.this.encryption_configuration[0].encryption_type == "KMS"
    error_message = "the repository must be encrypted with KMS"
  }
  assert {
    condition     = length(jsondecode(aws_ecr_lifecycle_policy.this.policy).rules) == 2
    error_message = "the lifecycle policy must expire untagged images and keep a bounded number of tagged ones"
  }
}

run "rollback_needs_two_images" {
  command = plan
  variables {
    keep_images = 1
  }
  expect_failures = [var.keep_images]
}
