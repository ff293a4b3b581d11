"""A plain Starlette + onnxruntime handler, as a careful user writes one in 30
lines: the same model, no validation beyond what a KeyError gives, no metrics, no
access log. What the gateway must beat to be worth its code."""
import os

import numpy as np
import onnxruntime as ort
import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

session = ort.InferenceSession(os.environ.get("BENCH_MODEL", "models/iris.onnx"), providers=["CPUExecutionProvider"])


async def predict(request: Request) -> Response:
    features = orjson.loads(await request.body())["features"]
    label, _ = session.run(None, {"input": np.array([features], dtype=np.float32)})
    return Response(orjson.dumps({"prediction": int(label[0])}), media_type="application/json")


async def health(request: Request) -> Response:
    return JSONResponse({"status": "healthy"})


app = Starlette(routes=[Route("/predict", predict, methods=["POST"]), Route("/health", health)])
