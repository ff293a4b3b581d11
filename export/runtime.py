"""The exported model as onnxruntime runs it: what the gateway will serve."""
import numpy as np
import onnxruntime as ort

from export.contract import INPUT_NAME, LABEL_NAME, PROBABILITIES_NAME
from export.errors import InputError


class OnnxClassifier:
    def __init__(self, payload: bytes) -> None:
        options = ort.SessionOptions()
        options.log_severity_level = 3
        try:
            self._session = ort.InferenceSession(payload, options, providers=["CPUExecutionProvider"])
        except Exception as error:  # onnxruntime raises its own unexported classes
            raise InputError(f"onnxruntime cannot load the model: {str(error).strip()}") from None
        inputs = [i.name for i in self._session.get_inputs()]
        outputs = [o.name for o in self._session.get_outputs()]
        if inputs != [INPUT_NAME] or outputs != [LABEL_NAME, PROBABILITIES_NAME]:
            raise InputError(
                f"the model's tensors are {inputs} -> {outputs}; the contract is"
                f" {[INPUT_NAME]} -> {[LABEL_NAME, PROBABILITIES_NAME]}"
            )

    def run(self, features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Labels (int64) and class probabilities (float32) for float32 rows."""
        labels, probabilities = self._session.run(
            [LABEL_NAME, PROBABILITIES_NAME], {INPUT_NAME: np.ascontiguousarray(features, dtype=np.float32)}
        )
        return labels, probabilities
