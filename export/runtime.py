"""The exported model as onnxruntime runs it: what the gateway will serve."""
import numpy as np
import onnxruntime as ort

from export.contract import INPUT_NAME, LABEL_NAME, PROBABILITIES_NAME


class OnnxClassifier:
    def __init__(self, payload: bytes) -> None:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        self._session = ort.InferenceSession(payload, options, providers=["CPUExecutionProvider"])

    def run(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Labels (int64) and class probabilities (float32) for float32 rows."""
        labels, probabilities = self._session.run(
            [LABEL_NAME, PROBABILITIES_NAME], {INPUT_NAME: np.ascontiguousarray(features, dtype=np.float32)}
        )
        return labels, probabilities
