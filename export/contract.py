"""Names and shapes that the ONNX file promises to its consumers.

The gateway, the smoke test and the benchmarks rely on these; they are
repeated nowhere else in export/.
"""
from typing import Final

MODEL_NAME: Final = "iris"
INPUT_NAME: Final = "input"
LABEL_NAME: Final = "label"
PROBABILITIES_NAME: Final = "probabilities"
N_FEATURES: Final = 4
N_CLASSES: Final = 3
ONNX_FILENAME: Final = f"{MODEL_NAME}.onnx"
CARD_FILENAME: Final = f"{MODEL_NAME}.json"
# skl2onnx 1.20 supports opsets up to 22 and onnxruntime 1.32 runs them; IR
# version 10 is what onnx 1.23 writes for opset 22 and onnxruntime 1.32 reads.
TARGET_OPSET: Final = 22
ML_OPSET: Final = 3
