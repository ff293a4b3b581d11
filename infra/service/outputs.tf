output "alb_dns_name" {
  description = "DNS name of the load balancer."
  value       = aws_lb.this.dns_name
}

output "base_url" {
  description = "Where the gateway answers: https://<domain_name> with a certificate, else the load balancer's own name over http."
  value       = local.base_url
}

output "predict_url" {
  description = "The original contract's endpoint."
  value       = "${local.base_url}/predict"
}

output "cluster_name" {
  description = "ECS cluster name (for aws ecs wait and rollbacks)."
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "ECS service name."
  value       = aws_ecs_service.this.name
}

output "image" {
  description = "The image the task definition runs."
  value       = var.image
}
