"""What most users write to serve an ONNX model: FastAPI, a pydantic request
model and onnxruntime, with an `async def` handler (a plain `def` would add a
thread hop per request). The same model as the gateway's."""
import os

import numpy as np
import onnxruntime as ort
from fastapi import FastAPI
from pydantic import BaseModel

session = ort.InferenceSession(os.environ.get("BENCH_MODEL", "models/iris.onnx"), providers=["CPUExecutionProvider"])
app = FastAPI()


class Features(BaseModel):
    features: list[float]


class Prediction(BaseModel):
    prediction: int


@app.post("/predict")
async def predict(request: Features) -> Prediction:
    label, _ = session.run(None, {"input": np.array([request.features], dtype=np.float32)})
    return Prediction(prediction=int(label[0]))


@app.get("/health")
async def health() -> dict[str, str]:
    return {"status": "healthy"}
