"""The routes: /predict, Open Inference Protocol v2, probes and admin, the OpenAPI document, /docs."""
