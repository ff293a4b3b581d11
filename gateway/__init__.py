"""Serve the ONNX Iris model with onnxruntime behind Starlette on uvicorn."""
