"""The ONNX session behind a small class: the routes never see onnxruntime."""
import hashlib
import logging
import math
from pathlib import Path
from typing import Final, NamedTuple

import numpy as np
import onnxruntime as ort

from gateway.errors import InvalidInput, ModelFault, shown
from gateway.model.bounds import Box
from gateway.model.card import ModelCard
from gateway.model.contract import CLASSIFIER_OUTPUTS, INPUT_NAME, MISSING_CATEGORY, VALUE_NAME
from gateway.model.session import open_session, unchecked_run

# The card's datatypes as onnxruntime names the tensor types.
ONNX_TYPES: Final = {"FP32": "tensor(float)", "BYTES": "tensor(string)"}

logger = logging.getLogger("gateway.inference")


class Prediction(NamedTuple):
    # A NamedTuple: built on every request (see predict_codec.PredictRequest).
    labels: np.ndarray
    """int64, one per row (a regressor's: empty)."""
    probabilities: np.ndarray
    """float32, one row of class probabilities per input row (a regressor's: empty)."""
    values: np.ndarray | None = None
    """A regressor's float32 prediction, one per row."""


_NO_LABELS: Final = np.empty(0, dtype=np.int64)
_NO_PROBABILITIES: Final = np.empty((0, 0), dtype=np.float32)


def _rows(indexes: np.ndarray) -> str:
    return ", ".join(str(i) for i in indexes[:5]) + (", ..." if len(indexes) > 5 else "")


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
        self.output_names = [output["name"] for output in card.outputs]
        # A model with a category column takes one [rows, 1] tensor per column.
        self.per_column = card.has_categories
        self.regression = card.regression
        self._category_columns = [c for c in card.columns if c.kind == "category"]
        # Each column's place in the card, for the per-column gap counts.
        self._number_positions = [i for i, c in enumerate(card.columns) if c.kind == "number"]
        self._category_positions = [i for i, c in enumerate(card.columns) if c.kind == "category"]
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
        model = cls(open_session(payload, intra_op_threads), card)
        model._check_signature()
        return model

    def _check_signature(self) -> None:
        """The session, the card and the gateway must agree on the tensors."""
        inputs = [(i.name, i.type, i.shape[1:]) for i in self._session.get_inputs()]
        outputs = [o.name for o in self._session.get_outputs()]
        card = self.card
        if card.has_categories:
            expected = [(c.name, ONNX_TYPES["FP32" if c.kind == "number" else "BYTES"], [1]) for c in card.columns]
        else:
            expected = [(INPUT_NAME, ONNX_TYPES["FP32"], [self.n_features])]
        served = [VALUE_NAME] if card.regression else list(CLASSIFIER_OUTPUTS)
        if inputs != expected or outputs != served:
            raise ModelError(f"model signature {inputs} -> {outputs} is not the one the gateway serves"
                             f" for this card: {expected} -> {served}")
        card_inputs = [(tensor.get("name"), tensor.get("datatype")) for tensor in card.inputs]
        model_inputs = [(name, "FP32" if kind == ONNX_TYPES["FP32"] else "BYTES") for name, kind, _ in inputs]
        if card_inputs != model_inputs or self.output_names != outputs:
            raise ModelError(f"the card describes tensors {card_inputs} -> {self.output_names},"
                             f" the model has {model_inputs} -> {outputs}")

    def _feeds(self, rows: np.ndarray, categories: np.ndarray | None) -> dict[str, np.ndarray]:
        """One [rows, 1] tensor per column, in the card's order."""
        assert categories is not None
        feeds = {}
        numbers, strings = iter(rows.T), iter(categories.T)
        for column in self.card.columns:
            values = next(numbers) if column.kind == "number" else next(strings)
            feeds[column.name] = np.ascontiguousarray(values.reshape(-1, 1))
        return feeds

    def predict(self, rows: np.ndarray, categories: np.ndarray | None = None) -> Prediction:
        """rows: float32, C-contiguous, shape (n, number columns), finite; categories:
        str objects, shape (n, category columns), for a model that has them.

        Finite inputs near the float32 limit can still overflow inside the model
        (found by fuzzing: ±1.8e38 gives inf - inf); such rows are refused rather
        than answered with null probabilities."""
        feeds = self._feeds(rows, categories) if self.per_column else {INPUT_NAME: rows}
        try:
            outputs = self._run(self.output_names, feeds, self._run_options)
        except Exception as error:  # onnxruntime raises its own unexported classes
            raise ModelFault(f"onnxruntime failed on {len(rows)} row(s): {error}") from error
        if self.regression:
            values = outputs[0].reshape(-1)
            if not np.isfinite(values).all():
                raise InvalidInput(f"the model cannot score row {_rows(np.flatnonzero(~np.isfinite(values)))}:"
                                   f" its values are too extreme (the prediction overflows); {self.ranges}")
            return Prediction(_NO_LABELS, _NO_PROBABILITIES, values)
        labels, probabilities = outputs
        # One row's probabilities are summed in plain Python (cheaper than numpy's set-up);
        # the float64 sum of finite float32 values is finite, of any inf or nan is not.
        finite = math.isfinite(sum(probabilities.tolist()[0])) if len(probabilities) == 1 else (
            np.isfinite(probabilities).all())
        if not finite:
            bad = np.flatnonzero(~np.isfinite(probabilities).all(axis=1))
            raise InvalidInput(
                f"the model cannot score row {_rows(bad)}: its values are too extreme (the probabilities overflow);"
                f" {self.ranges}"
            )
        return Prediction(labels, probabilities)

    @property
    def ranges(self) -> str:
        """The training range of each number column, for messages about extreme values."""
        numbers = [c.name for c in self.card.columns if c.kind == "number"]
        spans = [f"{name} {low:g} to {high:g}" for name, low, high in
                 zip(numbers, self.card.feature_min.tolist(), self.card.feature_max.tolist())]
        return "the training range is " + ", ".join(spans)

    def warm_up(self) -> None:
        """One inference through the real path, so the first client does not pay for lazy set-up."""
        middle = ((self.card.feature_min + self.card.feature_max) / 2).reshape(1, -1).astype(np.float32)
        categories = np.array([[sorted(c.categories)[0] if c.categories else "" for c in self._category_columns]],
                              dtype=object)
        prediction = self.predict(middle, categories if self.per_column else None)
        expected = ((0,), (0, 0), (1,)) if self.card.regression else ((1,), (1, len(self.card.classes)), None)
        shapes = (prediction.labels.shape, prediction.probabilities.shape,
                  None if prediction.values is None else prediction.values.shape)
        if shapes != expected:
            raise ModelError(f"warm-up returned shapes {shapes}, expected {expected}")
        logger.info("model %s version %s warmed up", self.card.name, self.card.version)

    def gaps(self, rows: np.ndarray, categories: np.ndarray | None) -> list[int]:
        """Missing cells per column, in the card's order; InvalidInput naming the first
        column whose gap the parity gate did not prove (the card's "missing": "refused")."""
        counts = [0] * len(self.card.columns)
        for values, position in zip(np.isnan(rows).T, self._number_positions):
            counts[position] = int(np.count_nonzero(values))
        if categories is not None:
            for values, position in zip(categories.T, self._category_positions):
                counts[position] = int(np.count_nonzero(values == MISSING_CATEGORY))
        for position, count in enumerate(counts):
            column = self.card.columns[position]
            if count and not column.takes_gaps:
                why = column.missing_reason or "scikit-learn raises on a gap there (no imputer before the estimator)"
                spelled = "null or empty" if column.kind == "category" else "null, or NaN in a binary tensor"
                raise InvalidInput(f"{column.name} is missing ({spelled}) in {count} row(s), and this model refuses"
                                   f" a missing {column.name}: {why}")
        return counts

    def unseen(self, categories: np.ndarray) -> int:
        """Rows holding a category the model never saw in training; InvalidInput where
        the column's pipeline refuses unseen categories (its parity was never probed).
        A gap (MISSING_CATEGORY) is not a category: `gaps` counts it."""
        outside: np.ndarray | None = None
        for position, column in enumerate(self._category_columns):
            values = categories[:, position].tolist()
            if column.categories.issuperset(values):  # the common case, decided in C
                continue
            flags = np.fromiter((value not in column.categories and value != MISSING_CATEGORY for value in values),
                                dtype=bool, count=len(values))
            if not flags.any():
                continue
            if column.refuses_unseen:
                row = int(np.argmax(flags))
                raise InvalidInput(
                    f"row {row}: {column.name} {shown(values[row])} was never seen in training, and this model"
                    f" refuses unseen categories; {column.name} is one of {', '.join(sorted(column.categories))}")
            outside = flags if outside is None else outside | flags
        return 0 if outside is None else int(outside.sum())

    def outside(self, rows: np.ndarray) -> tuple[int, int]:
        """Rows outside the training range (drift), and outside the proven parity region."""
        drift = self.training_range.outside(rows)
        if drift == 0 and self._parity_covers_training:
            return 0, 0
        return drift, self.parity_region.outside(rows)
