# ---- identity -------------------------------------------------------------

variable "aws_region" {
  description = "AWS region of the service."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as us-east-1."
  }
}

# The product (Proven ONNX) was first named after its Iris example. This default stays:
# it names the live load balancer, ECS cluster and service, task roles, log groups,
# security groups, WAF, alarms, dashboard and the gateway's CloudWatch metric namespace,
# and renaming it would replace them (a new load balancer DNS name, metric history cut off).
variable "project" {
  description = "Name prefix of every resource."
  type        = string
  default     = "iris-gateway"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{2,20}$", var.project))
    error_message = "project must be 3-21 lower-case letters, digits or hyphens (load balancer names are short)."
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

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# ---- the image and its contract with the gateway ------------------------

variable "image" {
  description = "The serving image, repository URL with a tag or digest (CI passes <ecr url>:<commit sha>)."
  type        = string

  validation {
    condition     = can(regex("^[^\\s:@]+(:[A-Za-z0-9_.-]{1,128}|@sha256:[a-f0-9]{64})$", var.image))
    error_message = "image must name a tag or a digest, for example 123456789012.dkr.ecr.us-east-1.amazonaws.com/iris-gateway:3f2a1c9."
  }
}

variable "container_port" {
  description = "The gateway's port (GATEWAY_PORT; gateway.settings default)."
  type        = number
  default     = 8080

  validation {
    condition     = var.container_port >= 1024 && var.container_port <= 65535
    error_message = "container_port must be an unprivileged port (1024-65535): the container runs as non-root."
  }
}

variable "admin_port" {
  description = "The gateway's admin port: /metrics, /model and the container's own liveness check. No security group rule admits it and the load balancer never forwards to it."
  type        = number
  default     = 8082

  validation {
    condition     = var.admin_port >= 1024 && var.admin_port <= 65535 && var.admin_port == floor(var.admin_port)
    error_message = "admin_port must be a whole number from 1024 to 65535."
  }

  validation {
    condition     = var.admin_port != var.container_port
    error_message = "admin_port must differ from container_port, or the operator routes would be public."
  }
}

variable "liveness_path" {
  description = "The gateway's liveness route (gateway.api.probes.LIVE_PATH), which the container's health check asks on the admin port: never refused for load, so a busy task is not taken for a dead one."
  type        = string
  default     = "/live"

  validation {
    condition     = startswith(var.liveness_path, "/")
    error_message = "liveness_path must start with a slash."
  }
}

variable "health_check_path" {
  description = "The gateway's readiness route (gateway.api.probes.HEALTH_PATH)."
  type        = string
  default     = "/health"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with a slash."
  }
}

variable "container_user" {
  description = "The non-root uid:gid the image runs as (Dockerfile.serve USER)."
  type        = string
  default     = "10001:10001"

  validation {
    condition     = can(regex("^[1-9][0-9]*(:[1-9][0-9]*)?$", var.container_user))
    error_message = "container_user must be a non-zero numeric uid (optionally uid:gid)."
  }
}

# ---- size and scaling -----------------------------------------------------

variable "cpu" {
  description = "Fargate task CPU units. One gateway worker uses one vCPU at most."
  type        = number
  default     = 512

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.cpu)
    error_message = "cpu must be a Fargate size: 256, 512, 1024, 2048 or 4096."
  }
}

variable "memory" {
  description = "Fargate task memory (MiB); must be a valid pairing with cpu."
  type        = number
  default     = 1024

  validation {
    condition = contains(lookup({
      256  = [512, 1024, 2048]
      512  = [1024, 2048, 3072, 4096]
      1024 = [2048, 3072, 4096, 5120, 6144, 7168, 8192]
      2048 = [for gib in range(4, 17) : gib * 1024]
      4096 = [for gib in range(8, 31) : gib * 1024]
    }, var.cpu, []), var.memory)
    error_message = "memory must be a Fargate pairing for the chosen cpu (for 512 CPU units: 1024-4096 MiB)."
  }
}

variable "min_tasks" {
  description = "Fewest tasks: autoscaling's floor and the starting count. Two spreads the service over both zones."
  type        = number
  default     = 2

  validation {
    condition     = var.min_tasks >= 1 && var.min_tasks <= 100
    error_message = "min_tasks must be between 1 and 100."
  }
}

variable "max_tasks" {
  description = "Most tasks autoscaling may run."
  type        = number
  default     = 6

  validation {
    condition     = var.max_tasks >= var.min_tasks && var.max_tasks <= 100
    error_message = "max_tasks must be at least min_tasks and at most 100."
  }
}

variable "cpu_target_percent" {
  description = "Target-tracking goal for average task CPU."
  type        = number
  default     = 60

  validation {
    condition     = var.cpu_target_percent >= 10 && var.cpu_target_percent <= 90
    error_message = "cpu_target_percent must be between 10 and 90."
  }
}

variable "requests_per_target" {
  description = "Target-tracking goal for ALB requests per task per minute."
  type        = number
  default     = 60000

  validation {
    condition     = var.requests_per_target >= 100
    error_message = "requests_per_target must be at least 100."
  }
}

# ---- deployment and shutdown ----------------------------------------------

variable "health_check_grace_seconds" {
  description = "Seconds ECS ignores failing load balancer checks on a new task."
  type        = number
  default     = 30

  validation {
    condition     = var.health_check_grace_seconds >= 0 && var.health_check_grace_seconds <= 600
    error_message = "health_check_grace_seconds must be between 0 and 600."
  }
}

variable "health_check_interval" {
  description = "Seconds between the load balancer's health checks of each task."
  type        = number
  default     = 10

  validation {
    condition     = var.health_check_interval >= 5 && var.health_check_interval <= 300
    error_message = "health_check_interval must be between 5 and 300 (the ALB's range)."
  }
}

variable "health_check_timeout" {
  description = "Seconds a health check may take before it counts as failed; shorter than the interval."
  type        = number
  default     = 5

  validation {
    condition     = var.health_check_timeout >= 2 && var.health_check_timeout < var.health_check_interval
    error_message = "health_check_timeout must be at least 2 and less than health_check_interval."
  }
}

variable "healthy_threshold" {
  description = "Consecutive passing checks before a new task receives traffic."
  type        = number
  default     = 2

  validation {
    condition     = var.healthy_threshold >= 2 && var.healthy_threshold <= 10
    error_message = "healthy_threshold must be between 2 and 10 (the ALB's range)."
  }
}

variable "unhealthy_threshold" {
  description = "Consecutive failing checks before a task stops receiving traffic."
  type        = number
  default     = 2

  validation {
    condition     = var.unhealthy_threshold >= 2 && var.unhealthy_threshold <= 10
    error_message = "unhealthy_threshold must be between 2 and 10 (the ALB's range)."
  }
}

variable "deregistration_delay" {
  description = "Seconds the target group keeps a leaving task's connections (ALB draining), before ECS sends SIGTERM."
  type        = number
  default     = 10

  validation {
    condition     = var.deregistration_delay >= 0 && var.deregistration_delay <= 3600
    error_message = "deregistration_delay must be between 0 and 3600."
  }
}

variable "drain_seconds" {
  description = "GATEWAY_DRAIN_SECONDS: after SIGTERM, seconds /health answers 503 while requests are still served. Longer than deregistration_delay, so requests the ALB sent before deregistering are all answered."
  type        = number
  default     = 15

  validation {
    condition     = var.drain_seconds > var.deregistration_delay
    error_message = "drain_seconds must exceed deregistration_delay: the gateway must still serve while the load balancer drains."
  }
}

variable "shutdown_seconds" {
  description = "GATEWAY_SHUTDOWN_SECONDS: then, the longest wait for requests in flight."
  type        = number
  default     = 10

  validation {
    condition     = var.drain_seconds + var.shutdown_seconds < var.stop_timeout
    error_message = "drain_seconds + shutdown_seconds must be less than stop_timeout, or ECS kills the gateway mid-request."
  }
}

variable "stop_timeout" {
  description = "Seconds ECS waits after SIGTERM before SIGKILL (Fargate allows up to 120)."
  type        = number
  default     = 30

  validation {
    condition     = var.stop_timeout >= 2 && var.stop_timeout <= 120
    error_message = "stop_timeout must be between 2 and 120 (Fargate's limit)."
  }
}

variable "wait_for_steady_state" {
  description = "Whether apply waits for the service to be stable (off only for an emulator, where no task runs)."
  type        = bool
  default     = true
}

# ---- network --------------------------------------------------------------

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.40.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr))
    error_message = "vpc_cidr must be an IPv4 CIDR block."
  }
}

variable "public_subnet_cidrs" {
  description = "Two public subnets, one per availability zone (the load balancer; the tasks too in public mode)."
  type        = list(string)
  default     = ["10.40.0.0/24", "10.40.1.0/24"]

  validation {
    condition     = length(var.public_subnet_cidrs) == 2 && alltrue([for c in var.public_subnet_cidrs : can(cidrnetmask(c))])
    error_message = "public_subnet_cidrs must be two IPv4 CIDR blocks."
  }
}

variable "private_subnet_cidrs" {
  description = "Two private subnets for the tasks in private mode."
  type        = list(string)
  default     = ["10.40.10.0/24", "10.40.11.0/24"]

  validation {
    condition     = length(var.private_subnet_cidrs) == 2 && alltrue([for c in var.private_subnet_cidrs : can(cidrnetmask(c))])
    error_message = "private_subnet_cidrs must be two IPv4 CIDR blocks."
  }
}

variable "task_subnets" {
  description = "public: tasks get public IPs, their security group admits only the ALB (cheapest). private: tasks have no public IP and reach ECR and CloudWatch through VPC endpoints (about 45 USD a month more)."
  type        = string
  default     = "public"

  validation {
    condition     = contains(["public", "private"], var.task_subnets)
    error_message = "task_subnets must be public or private."
  }
}

# ---- production options ---------------------------------------------------

variable "certificate_arn" {
  description = "An ACM certificate ARN turns on HTTPS on 443 (TLS 1.2+ policy) and redirects 80 to it. Null serves plain HTTP on 80."
  type        = string
  default     = null

  validation {
    condition     = var.certificate_arn == null || can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+$", var.certificate_arn))
    error_message = "certificate_arn must be null or an ACM certificate ARN."
  }
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener."
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "log_retention_days" {
  description = "CloudWatch Logs retention of the gateway's logs."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ...)."
  }
}

variable "enable_alarms" {
  description = "CloudWatch alarms on 5xx rate, unhealthy targets and p99 latency, sent to an SNS topic."
  type        = bool
  default     = true
}

variable "alarm_email" {
  description = "An e-mail address subscribed to the alarm topic (it must confirm); null for none."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.alarm_email))
    error_message = "alarm_email must be null or an e-mail address."
  }
}

variable "p99_latency_threshold_ms" {
  description = "Alarm when the target p99 response time exceeds this (milliseconds)."
  type        = number
  default     = 50
}

variable "error_rate_threshold_percent" {
  description = "Alarm when target 5xx responses exceed this share of requests."
  type        = number
  default     = 1
}

variable "emf_seconds" {
  description = "Seconds between the gateway's CloudWatch Embedded Metric Format documents in its log (its drift, parity-region, per-class and per-route figures); 0 turns them and the alarms on them off."
  type        = number
  default     = 10

  validation {
    condition     = var.emf_seconds >= 0 && var.emf_seconds <= 60
    error_message = "emf_seconds must be between 0 (off) and 60."
  }
}

variable "drift_threshold_percent" {
  description = "Alarm when more than this share of predicted rows has a feature outside the training range (the gateway's OutOfRangeRows / PredictedRows)."
  type        = number
  default     = 10

  validation {
    condition     = var.drift_threshold_percent > 0 && var.drift_threshold_percent <= 100
    error_message = "drift_threshold_percent must be in (0, 100]."
  }
}

variable "unproven_threshold_percent" {
  description = "Alarm when more than this share of predicted rows lies outside the region the export's parity gate proved (UnprovenRows / PredictedRows)."
  type        = number
  default     = 5

  validation {
    condition     = var.unproven_threshold_percent > 0 && var.unproven_threshold_percent <= 100
    error_message = "unproven_threshold_percent must be in (0, 100]."
  }
}

variable "enable_waf" {
  description = "A WAF web ACL in front of the load balancer with a per-IP rate limit."
  type        = bool
  default     = true
}

variable "waf_rate_limit" {
  description = "Requests per IP per 5 minutes before WAF blocks."
  type        = number
  default     = 20000

  validation {
    condition     = var.waf_rate_limit >= 100 && var.waf_rate_limit <= 2000000000
    error_message = "waf_rate_limit must be between 100 and 2e9 (WAF's limits)."
  }
}

variable "alb_deletion_protection" {
  description = "Protect the load balancer from deletion. The destroy workflow turns it off first."
  type        = bool
  default     = true
}

variable "domain_name" {
  description = "The name clients use over HTTPS; the certificate must cover it. Required with certificate_arn: no certificate covers the load balancer's own DNS name, so base_url and the smoke test use this name."
  type        = string
  default     = null

  validation {
    condition     = var.domain_name == null || can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z]{2,63}$", var.domain_name))
    error_message = "domain_name must be null or a lower-case DNS name such as predict.example.com."
  }

  validation {
    condition     = (var.certificate_arn == null) == (var.domain_name == null)
    error_message = "certificate_arn and domain_name go together: HTTPS needs the name its certificate covers."
  }
}

variable "route53_zone_id" {
  description = "A Route 53 hosted zone holding domain_name: an alias record then points the name at the load balancer. Null when the name is managed elsewhere (point it at the alb_dns_name output)."
  type        = string
  default     = null

  validation {
    condition     = var.route53_zone_id == null || can(regex("^Z[A-Z0-9]{1,31}$", var.route53_zone_id))
    error_message = "route53_zone_id must be null or a hosted zone id such as Z0123456789ABCDEFGHIJ."
  }

  validation {
    condition     = var.route53_zone_id == null || var.domain_name != null
    error_message = "route53_zone_id needs domain_name: the record is for that name."
  }
}

variable "serve_docs" {
  description = "Whether the gateway serves /docs, its Swagger UI (its assets are served by the gateway itself; nothing is loaded from elsewhere). False sets GATEWAY_SERVE_DOCS=false: no route, so no spelling of the path reaches it."
  type        = bool
  default     = true
}

variable "trace_ratio" {
  description = "Share of requests the gateway traces with OpenTelemetry (GATEWAY_TRACE_RATIO), sent through an ADOT collector beside it to AWS X-Ray; 0 runs no collector. Above 0 needs an image built with the tracing extra (TRACING=true), collector_image, and the bootstrap root's tracing = true."
  type        = number
  default     = 0

  validation {
    condition     = var.trace_ratio >= 0 && var.trace_ratio <= 1
    error_message = "trace_ratio must be between 0 (off) and 1 (every request)."
  }
}

variable "collector_image" {
  description = "The AWS Distro for OpenTelemetry collector image, by digest (e.g. public.ecr.aws/aws-observability/aws-otel-collector@sha256:...; in private mode a copy in this project's ECR repository, which the task execution role may pull). Needed when trace_ratio is above 0."
  type        = string
  default     = null

  validation {
    condition     = var.collector_image == null || can(regex("^[a-z0-9./_-]+(:[A-Za-z0-9._-]+)?@sha256:[0-9a-f]{64}$", var.collector_image))
    error_message = "collector_image must be pinned by digest (<repository>@sha256:<64 hex digits>): the collector runs as the task role."
  }
  validation {
    condition     = var.trace_ratio == 0 || var.collector_image != null
    error_message = "trace_ratio above 0 needs collector_image: the gateway exports its spans to the collector beside it."
  }
}
