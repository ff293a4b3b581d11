"""What the export promises its consumers beyond the tensor names (gateway/model/contract.py):
the opsets, the default spec, and the file names of a model and its card.

The gateway, the smoke test and the benchmarks read them from the model card.
"""
from pathlib import Path
from typing import Final

# skl2onnx 1.20 supports opsets up to 22 and onnxruntime 1.32 runs them; IR
# version 10 is what onnx 1.23 writes for opset 22 and onnxruntime 1.32 reads.
# The ML domain is capped at 3; skl2onnx records the lowest version the graph needs.
TARGET_OPSET: Final = 22
ML_OPSET: Final = 3
# The embedded default model: the original project's Iris classifier.
DEFAULT_SPEC: Final = Path("models/iris.toml")


def onnx_filename(model_name: str) -> str:
    return f"{model_name}.onnx"


def card_filename(model_name: str) -> str:
    return f"{model_name}.json"
