"""The parity and accuracy gates: structured results, no printing, no exit codes."""
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Final

import numpy as np

from export.probes import ProbeSet
from export.runtime import OnnxClassifier

# The skl2onnx test-suite standard for float32 graphs.
PROBABILITY_ATOL: Final = 1e-5
ACCURACY_THRESHOLD: Final = 0.9
# How far accuracy may fall below the committed card's figure before the gate fails.
ACCURACY_MARGIN: Final = 0.0


@dataclass(frozen=True)
class ParityFigures:
    name: str
    rows: int
    label_mismatches: int
    """Rows whose labels differ and are not excused by an exact tie."""
    ties: int
    """Rows where scikit-learn's two highest probabilities are exactly equal."""
    excused_tie_mismatches: int
    """Tied rows where onnxruntime picked another of the tied classes."""
    probability_violations: int
    max_abs_diff: float
    max_tolerance: float
    """The largest tolerance a row of this set was held to (rows far out get more)."""


_MEASURED: Final = ("max_abs_diff", "max_tolerance")


def _digits(value: float) -> float:
    return float(f"{value:.3g}")


@dataclass(frozen=True)
class ParityResult:
    tolerance: float
    sets: list[ParityFigures]

    @property
    def passed(self) -> bool:
        return all(s.label_mismatches == 0 and s.probability_violations == 0 for s in self.sets)

    def to_dict(self) -> dict[str, Any]:
        # Three significant digits: the reference probabilities come from a BLAS
        # call whose last bits follow the CPU's kernel, and the card must not.
        sets = [{**asdict(s), **{key: _digits(getattr(s, key)) for key in _MEASURED}} for s in self.sets]
        return {"passed": self.passed, "probability_atol": self.tolerance, "sets": sets}


@dataclass(frozen=True)
class AccuracyResult:
    accuracy: float
    rows: int
    threshold: float
    baseline: float | None
    margin: float
    failures: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "accuracy": self.accuracy,
            "rows": self.rows,
            "threshold": self.threshold,
            # The baseline is left out: it is the previous card's figure, and
            # recording it would make a rebuild differ from the build before it.
            "margin": self.margin,
        }


def compare(
    name: str,
    reference_probabilities: np.ndarray,
    reference_labels: np.ndarray,
    labels: np.ndarray,
    probabilities: np.ndarray,
    tolerance: float = PROBABILITY_ATOL,
    scale: np.ndarray | None = None,
) -> ParityFigures:
    """Compare a candidate's outputs with the reference (scikit-learn's) outputs.

    A label difference is excused only where the reference's top two probabilities
    are exactly equal and the candidate chose one of the classes sharing the top.
    Each row's probabilities must agree within `tolerance`, times its `scale`.
    """
    top = reference_probabilities.max(axis=1, keepdims=True)
    at_top = reference_probabilities == top
    tied = at_top.sum(axis=1) > 1
    differs = labels != reference_labels
    candidate_at_top = at_top[np.arange(len(labels)), np.clip(labels, 0, at_top.shape[1] - 1)]
    excused = differs & tied & candidate_at_top & (labels >= 0) & (labels < at_top.shape[1])
    diff = np.abs(probabilities.astype(np.float64) - reference_probabilities)
    row_tolerance = np.full(len(labels), tolerance) if scale is None else tolerance * scale
    # NaN never compares within tolerance: a NaN probability is a violation.
    violations = ~(diff <= row_tolerance[:, None]).all(axis=1)
    return ParityFigures(
        name=name,
        rows=len(labels),
        label_mismatches=int((differs & ~excused).sum()),
        ties=int(tied.sum()),
        excused_tie_mismatches=int(excused.sum()),
        probability_violations=int(violations.sum()),
        max_abs_diff=float(np.nanmax(diff)) if not np.isnan(diff).all() else float("nan"),
        max_tolerance=float(row_tolerance.max()) if len(labels) else tolerance,
    )


Reference = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]
"""Rows -> (probabilities, labels) a candidate model is held to."""


def compare_sets(
    reference: Reference, model: OnnxClassifier, probes: list[ProbeSet], tolerance: float = PROBABILITY_ATOL
) -> ParityResult:
    """The model's outputs against the reference's on every probe set."""
    sets = []
    for probe in probes:
        labels, probabilities = model.run(probe.features)
        expected_probabilities, expected_labels = reference(probe.features)
        sets.append(compare(
            probe.name, expected_probabilities, expected_labels, labels, probabilities, tolerance, probe.scale
        ))
    return ParityResult(tolerance=tolerance, sets=sets)


def parity_gate(
    estimator: Any, model: OnnxClassifier, probes: list[ProbeSet], tolerance: float = PROBABILITY_ATOL
) -> ParityResult:
    """onnxruntime against scikit-learn, the model's source."""
    return compare_sets(lambda rows: (estimator.predict_proba(rows), estimator.predict(rows)), model, probes, tolerance)


def accuracy_gate(
    model: OnnxClassifier,
    features: np.ndarray,
    targets: np.ndarray,
    threshold: float = ACCURACY_THRESHOLD,
    baseline: float | None = None,
    margin: float = ACCURACY_MARGIN,
) -> AccuracyResult:
    """Accuracy of the ONNX model itself on held-out rows, against a floor and the last figure."""
    labels, _ = model.run(features)
    accuracy = float((labels == targets).mean())
    failures = []
    if accuracy < threshold:
        failures.append(f"accuracy {accuracy:.4f} is below the threshold {threshold:.4f}")
    if baseline is not None and accuracy < baseline - margin:
        failures.append(f"accuracy {accuracy:.4f} fell more than {margin:.4f} below the committed {baseline:.4f}")
    return AccuracyResult(accuracy, len(targets), threshold, baseline, margin, failures)
