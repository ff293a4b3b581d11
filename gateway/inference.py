"""The ONNX session behind a small class: the routes never see onnxruntime."""
import hashlib
import logging
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Final

import numpy as np
import onnxruntime as ort

from gateway.bounds import Box
from gateway.card_reader import ModelCard
from gateway.errors import InvalidInput, ModelFault

INPUT_NAME: Final = "input"
OUTPUT_NAMES: Final = ["label", "probabilities"]

logger = logging.getLogger("gateway.inference")


@dataclass(frozen=True)
class Prediction:
    labels: np.ndarray
    """int64, one per row."""
    probabilities: np.ndarray
    """float32, one row of class probabilities per input row."""


def unchecked_run(session: ort.InferenceSession) -> Callable[..., list[np.ndarray]]:
    """The session's C++ run, without the Python wrapper's per-call checks of input
    names and types: the codecs guarantee both, and the signature is checked once at
    load. This halves onnxruntime's cost for one row. `_sess` is not public API: the
    one place it is used; tests/gateway/test_inference.py fails naming the installed
    onnxruntime if an upgrade removes it."""
    return session._sess.run


class ModelError(RuntimeError):
    """The model file or card cannot be served; raised at start-up only."""


class Model:
    def __init__(self, session: ort.InferenceSession, card: ModelCard) -> None:
        self._session = session
        self._run = unchecked_run(session)
        # Given None, the C++ run builds a default RunOptions on every call; one
        # made once is reused.
        self._run_options = ort.RunOptions()
        self.card = card
        self.n_features = len(card.features)
        self.training_range = Box(card.feature_min, card.feature_max)
        self.parity_region = Box(card.parity_min, card.parity_max)
        # The export widens the training range into the parity region, so rows inside
        # the one (nearly all of them) need no second look for the other.
        self._parity_covers_training = self.parity_region.contains(self.training_range)

    @classmethod
    def load(cls, model_path: Path, card_path: Path, intra_op_threads: int = 1) -> "Model":
        card = ModelCard.load(card_path)
        payload = model_path.read_bytes()
        digest = hashlib.sha256(payload).hexdigest()
        if digest != card.sha256:
            raise ModelError(f"{model_path} has sha256 {digest}, but its card says {card.sha256}")
        options = ort.SessionOptions()
        options.intra_op_num_threads = intra_op_threads
        options.inter_op_num_threads = 1
        # Spinning burns a core waiting for work that, for one small model, never overlaps.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3
        session = ort.InferenceSession(payload, options, providers=["CPUExecutionProvider"])
        model = cls(session, card)
        model._check_signature()
        return model

    def _check_signature(self) -> None:
        """The session, the card and the gateway must agree on the tensors."""
        inputs = [(i.name, i.type, i.shape[1:]) for i in self._session.get_inputs()]
        outputs = [o.name for o in self._session.get_outputs()]
        if inputs != [(INPUT_NAME, "tensor(float)", [self.n_features])] or outputs != list(OUTPUT_NAMES):
            raise ModelError(f"model signature {inputs} -> {outputs} is not the one the gateway serves")
        described = self.card.document.get("tensors", {})
        card_input = described.get("input", {}).get("name")
        card_outputs = [output.get("name") for output in described.get("outputs", [])]
        if card_input != INPUT_NAME or card_outputs != list(OUTPUT_NAMES):
            raise ModelError(f"the card describes tensors {card_input} -> {card_outputs}, not the model's")

    def predict(self, rows: np.ndarray) -> Prediction:
        """rows: float32, C-contiguous, shape (n, n_features), finite.

        Finite inputs near the float32 limit can still overflow inside the model
        (found by fuzzing: ±1.8e38 gives inf - inf); such rows are refused rather
        than answered with null probabilities."""
        try:
            labels, probabilities = self._run(OUTPUT_NAMES, {INPUT_NAME: rows}, self._run_options)
        except Exception as error:  # onnxruntime raises its own unexported classes
            raise ModelFault(f"onnxruntime failed on {len(rows)} row(s): {error}") from error
        # One row's probabilities are summed in plain Python (a third of numpy's cost);
        # the float64 sum of finite float32 values is finite, of any inf or nan is not.
        finite = math.isfinite(sum(probabilities[0].tolist())) if len(probabilities) == 1 else (
            np.isfinite(probabilities).all())
        if not finite:
            bad = np.flatnonzero(~np.isfinite(probabilities).all(axis=1))
            shown = ", ".join(str(i) for i in bad[:5]) + (", ..." if len(bad) > 5 else "")
            raise InvalidInput(
                f"the model cannot score row {shown}: its values are too extreme (the probabilities overflow); "
                "features are lengths in centimetres"
            )
        return Prediction(labels, probabilities)

    def warm_up(self) -> None:
        """One inference through the real path, so the first client does not pay for lazy set-up."""
        middle = ((self.card.feature_min + self.card.feature_max) / 2).reshape(1, -1).astype(np.float32)
        prediction = self.predict(middle)
        if prediction.labels.shape != (1,) or prediction.probabilities.shape != (1, len(self.card.classes)):
            raise ModelError(f"warm-up returned shapes {prediction.labels.shape}, {prediction.probabilities.shape}")
        logger.info("model %s version %s warmed up", self.card.name, self.card.version)

    def outside(self, rows: np.ndarray) -> tuple[int, int]:
        """Rows outside the training range (drift), and outside the proven parity region."""
        drift = self.training_range.outside(rows)
        if drift == 0 and self._parity_covers_training:
            return 0, 0
        return drift, self.parity_region.outside(rows)
