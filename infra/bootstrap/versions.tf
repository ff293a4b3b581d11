terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.80" # any 5.x from 5.80; 6.x changed resources this code uses
    }
  }
  # Local state: this root creates the bucket every other root keeps its state
  # in. Run once by an admin; keep terraform.tfstate safe (or migrate it into the
  # bucket afterwards with `terraform init -migrate-state` and a backend block).
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}
