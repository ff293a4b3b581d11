variable "aws_region" {
  description = "AWS region of the repository."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as us-east-1."
  }
}

# The product (Proven ONNX) was first named after its Iris example. This default stays:
# it is the name of the live ECR repository (and the Makefile's PROJECT, the state
# prefix), and renaming it would replace the repository and lose its images.
variable "project" {
  description = "Name prefix of every resource; also the repository name."
  type        = string
  default     = "iris-gateway"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,30}$", var.project))
    error_message = "project must be 3-31 lower-case letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Deployment environment, recorded in tags."
  type        = string
  default     = "production"

  validation {
    condition     = contains(["dev", "staging", "production"], var.environment)
    error_message = "environment must be dev, staging or production."
  }
}

variable "keep_images" {
  description = "How many tagged images the lifecycle policy keeps (rollback needs the previous ones)."
  type        = number
  default     = 30

  validation {
    condition     = var.keep_images >= 2 && var.keep_images <= 1000
    error_message = "keep_images must be between 2 and 1000: a rollback needs at least the previous image."
  }
}

variable "untagged_days" {
  description = "Days after which untagged images (failed or superseded pushes) expire."
  type        = number
  default     = 1

  validation {
    condition     = var.untagged_days >= 1 && var.untagged_days <= 365
    error_message = "untagged_days must be between 1 and 365."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}
