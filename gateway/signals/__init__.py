"""The signals: Prometheus metrics, CloudWatch EMF, tracing, logs, the access and payload logs."""
