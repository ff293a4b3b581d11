variable "aws_region" {
  description = "Region of the state bucket and of everything the deploy role may manage."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as us-east-1."
  }
}

# The product (Proven ONNX) was first named after its Iris example. This default stays:
# it names the live OIDC roles, task roles, alarm key alias and the deploy policy's
# resource names, and renaming it would replace the roles and strand the other roots.
variable "project" {
  description = "Name prefix of the resources the deploy role may manage (must match the ecr and service roots)."
  type        = string
  default     = "iris-gateway"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,20}$", var.project))
    error_message = "project must be 3-21 lower-case letters, digits or hyphens."
  }
}

variable "state_bucket_name" {
  description = "Globally unique name of the Terraform state bucket."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.state_bucket_name))
    error_message = "state_bucket_name must be a valid S3 bucket name."
  }
}

variable "github_repository" {
  description = "The GitHub repository (owner/name) whose workflows may assume the deploy role."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "github_branch" {
  description = "The only branch whose workflows may assume the push and deploy roles."
  type        = string
  default     = "main"
}

variable "github_environment" {
  description = "The GitHub environment of the deploy jobs: only its jobs, run from github_branch, may assume the deploy role."
  type        = string
  default     = "production"
}

variable "create_oidc_provider" {
  description = "Create GitHub's OIDC identity provider (false when the account already has one)."
  type        = bool
  default     = true
}

variable "existing_oidc_provider_arn" {
  description = "ARN of the account's GitHub OIDC provider when create_oidc_provider is false."
  type        = string
  default     = null

  validation {
    condition     = var.create_oidc_provider || var.existing_oidc_provider_arn != null
    error_message = "existing_oidc_provider_arn is required when create_oidc_provider is false."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

variable "route53_zone_id" {
  description = "The hosted zone of the service's domain_name, when the service root creates its alias record; null gives the deploy role no Route 53 access at all."
  type        = string
  default     = null

  validation {
    condition     = var.route53_zone_id == null || can(regex("^Z[A-Z0-9]{1,31}$", var.route53_zone_id))
    error_message = "route53_zone_id must be null or a hosted zone id such as Z0123456789ABCDEFGHIJ."
  }
}

variable "domain_name" {
  description = "The service's domain_name (the one record the deploy role may change in route53_zone_id)."
  type        = string
  default     = null

  validation {
    condition     = (var.route53_zone_id == null) == (var.domain_name == null)
    error_message = "route53_zone_id and domain_name go together: the record is for that name in that zone."
  }
}

variable "tracing" {
  description = "Whether the service may send traces to AWS X-Ray (its trace_ratio above 0): gives the task role X-Ray's two write actions, which the ADOT collector beside the gateway uses; false leaves the task role with no policy at all."
  type        = bool
  default     = false
}
