"""Names and shapes that the ONNX file promises to its consumers.

The gateway, the smoke test and the benchmarks read them from the model card;
they are repeated nowhere else in export/.
"""
from pathlib import Path
from typing import Final

# The single FP32 input of a numbers-only model (a model with a category column
# takes one input per column, named for it).
INPUT_NAME: Final = "input"
LABEL_NAME: Final = "label"
PROBABILITIES_NAME: Final = "probabilities"
# skl2onnx's name for a regressor's output, shape [rows, 1].
VALUE_NAME: Final = "variable"
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
