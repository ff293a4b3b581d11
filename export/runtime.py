"""The exported model as onnxruntime runs it: what the gateway will serve."""
from dataclasses import dataclass

import numpy as np
import onnxruntime as ort

from gateway.model.contract import LABEL_NAME, PROBABILITIES_NAME, VALUE_NAME
from export.errors import InputError
from export.rows import Rows, Schema
from export.spec import Task
from gateway.model.session import open_session, unchecked_run


@dataclass(frozen=True)
class Predictions:
    labels: np.ndarray | None = None
    """Classification: int64 labels 0..K-1."""
    probabilities: np.ndarray | None = None
    """Classification: float32, (rows, K)."""
    values: np.ndarray | None = None
    """Regression: float32, one per row."""


def tensor_names(schema: Schema, task: Task) -> tuple[list[str], list[str]]:
    """The inputs and outputs the export promises for a schema and task."""
    from export.convert import input_types  # skl2onnx is imported only where it converts

    outputs = [LABEL_NAME, PROBABILITIES_NAME] if task == "classification" else [VALUE_NAME]
    return [name for name, _ in input_types(schema)], outputs


class OnnxModel:
    """The exported model opened and run exactly as the gateway opens and runs it
    (gateway/model/session.py): the parity gate proves the session that serves."""

    def __init__(self, payload: bytes, schema: Schema, task: Task) -> None:
        try:
            self._session = open_session(payload)
        except Exception as error:  # onnxruntime raises its own unexported classes
            raise InputError(f"onnxruntime cannot load the model: {str(error).strip()}") from None
        inputs = [i.name for i in self._session.get_inputs()]
        outputs = [o.name for o in self._session.get_outputs()]
        expected_inputs, expected_outputs = tensor_names(schema, task)
        if inputs != expected_inputs or outputs != expected_outputs:
            raise InputError(
                f"the model's tensors are {inputs} -> {outputs}; the contract is"
                f" {expected_inputs} -> {expected_outputs}"
            )
        self.task = task
        self._outputs = outputs
        self._run = unchecked_run(self._session)
        self._run_options = ort.RunOptions()

    def run(self, rows: Rows) -> Predictions:
        results = self._run(self._outputs, rows.for_onnx(), self._run_options)
        if self.task == "classification":
            return Predictions(labels=results[0], probabilities=results[1])
        return Predictions(values=results[0].reshape(-1))
