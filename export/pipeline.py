"""The chains the command line runs: build (train, export, gate, write) and re-gate."""
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from export import card_writer as model_card
from export.contract import CARD_FILENAME, ONNX_FILENAME
from export.convert import serialize, sha256, to_onnx, write_bytes
from export.gates import (
    ACCURACY_MARGIN,
    ACCURACY_THRESHOLD,
    PROBABILITY_ATOL,
    AccuracyResult,
    ParityResult,
    accuracy_gate,
    parity_gate,
)
from export.probes import RANDOM_POINTS, probe_sets
from export.runtime import OnnxClassifier
from export.train import TrainedModel, train


@dataclass(frozen=True)
class GateOptions:
    threshold: float = ACCURACY_THRESHOLD
    margin: float = ACCURACY_MARGIN
    tolerance: float = PROBABILITY_ATOL
    random_points: int = RANDOM_POINTS


@dataclass(frozen=True)
class GateOutcome:
    parity: ParityResult
    accuracy: AccuracyResult
    card: dict[str, Any] | None = None
    """The card written; None when the gates failed and nothing was written."""

    @property
    def passed(self) -> bool:
        return self.parity.passed and self.accuracy.passed


def run_gates(
    trained: TrainedModel, payload: bytes, baseline: float | None, options: GateOptions
) -> tuple[ParityResult, AccuracyResult]:
    model = OnnxClassifier(payload)
    probes = probe_sets(trained.data, random_points=options.random_points)
    parity = parity_gate(trained.estimator, model, probes, options.tolerance)
    data = trained.data
    accuracy = accuracy_gate(model, data.x_test, data.y_test, options.threshold, baseline, options.margin)
    return parity, accuracy


def committed_accuracy(card: dict[str, Any] | None) -> float | None:
    return None if card is None else float(card["metrics"]["accuracy"])


def build(estimator: str, out_dir: Path, model_version: str, options: GateOptions = GateOptions()) -> GateOutcome:
    """Train and export; write the model and its card only if both gates pass."""
    card_path = out_dir / CARD_FILENAME
    # Read before anything is rewritten: the accuracy gate compares against it.
    baseline = committed_accuracy(model_card.read_card(card_path))
    trained = train(estimator)
    onnx_model = to_onnx(trained.estimator)
    payload = serialize(onnx_model)
    parity, accuracy = run_gates(trained, payload, baseline, options)
    if not (parity.passed and accuracy.passed):
        return GateOutcome(parity, accuracy)
    card = model_card.build_card(trained, onnx_model, sha256(payload), model_version, parity, accuracy)
    write_bytes(out_dir / ONNX_FILENAME, payload)
    write_bytes(card_path, model_card.dumps(card))
    return GateOutcome(parity, accuracy, card)


def regate(payload: bytes, card: dict[str, Any], options: GateOptions = GateOptions()) -> GateOutcome:
    """Run both gates on an existing ONNX model against a fresh, deterministic retraining."""
    trained = train(card["estimator"]["name"])
    parity, accuracy = run_gates(trained, payload, committed_accuracy(card), options)
    return GateOutcome(parity, accuracy)
