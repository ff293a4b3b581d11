"""The gateway of Proven ONNX: serves an exported model (its ONNX file and card)
with onnxruntime behind Starlette on uvicorn.

Its layers, innermost first; a module imports from its own layer and those before
it only (tests/gateway/test_layers.py):

- errors, settings: the error hierarchy and the typed settings, used by every layer;
- model/: the ONNX session, the card, the tensor contract, the training box;
- codecs/: the /predict and v2 payloads <-> numpy, pure functions;
- signals/: metrics, CloudWatch EMF, tracing, logs, the access and payload logs;
- core/: the service (scoring decoded rows, counting them), lifecycle, request context;
- http/: the front door, the hot endpoints' ASGI half, limits, responses;
- api/: the routes: /predict, v2, probes and admin, OpenAPI, /docs;
- app, __main__: the app factory and the process.
"""
from typing import Final

# The product's name and version: the v2 server metadata (GET /v2) reports them,
# pyproject.toml names the project so (tests/test_names.py holds the two equal).
PRODUCT: Final = "proven-onnx"
VERSION: Final = "1.0.0"
