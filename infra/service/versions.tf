terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80" # any 5.x from 5.80; 6.x changed resources this code uses
    }
  }

  # Partial configuration: bucket, key and region come from -backend-config
  # (see the Makefile's tf-init and the workflows). use_lockfile is S3-native
  # locking (Terraform 1.10+): no DynamoDB table.
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}
