"""The parity and accuracy gates: structured results, no printing, no exit codes."""
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Final, NamedTuple

import numpy as np

from sklearn.metrics import f1_score, mean_absolute_error, r2_score

from export.probes import ProbeSet
from export.rows import Rows
from export.runtime import OnnxModel, Predictions
from export.spec import DEFAULT_TOLERANCE, Gate

PROBABILITY_ATOL: Final = DEFAULT_TOLERANCE


@dataclass(frozen=True)
class ParityFigures:
    name: str
    rows: int
    label_mismatches: int
    """Rows whose labels differ and are not excused by a tie within the stated tolerance."""
    ties: int
    """Rows where scikit-learn's two highest probabilities are exactly equal."""
    excused_tie_mismatches: int
    """Tied rows where onnxruntime picked another of the tied classes."""
    near_ties: int
    """Rows where scikit-learn's two highest probabilities differ, by no more than the stated tolerance."""
    excused_near_tie_mismatches: int
    """Rows where onnxruntime picked a class whose scikit-learn probability is below the top
    by no more than the stated tolerance (but not equal to it)."""
    probability_violations: int
    max_abs_diff: float
    max_tolerance: float
    """The largest tolerance a row of this set was held to (rows far out get more)."""

    @property
    def ok(self) -> bool:
        return self.label_mismatches == 0 and self.probability_violations == 0

    @property
    def failures(self) -> str:
        """What failed, in words: the label differences and probabilities beyond tolerance (a row may have both)."""
        return (f"{self.label_mismatches} label differences and {self.probability_violations} rows of"
                f" probabilities beyond tolerance in {self.rows} rows")


_MEASURED: Final = ("max_abs_diff", "max_tolerance")


def _digits(value: float) -> float:
    return float(f"{value:.3g}")


@dataclass(frozen=True)
class ParityResult:
    tolerance: float
    sets: list["ParityFigures | ValueParityFigures"]
    notes: tuple[str, ...] = ()
    """What a failure means and what to do about it, where the gate can tell."""

    @property
    def passed(self) -> bool:
        return all(s.ok for s in self.sets)

    def to_dict(self) -> dict[str, Any]:
        # Three significant digits: the reference probabilities come from a BLAS
        # call whose last bits follow the CPU's kernel, and the card must not.
        sets = [{**asdict(s), **{key: _digits(getattr(s, key)) for key in _MEASURED}} for s in self.sets]
        key = "probability_atol" if all(isinstance(s, ParityFigures) for s in self.sets) else "value_rtol"
        return {"passed": self.passed, key: self.tolerance, "sets": sets}


@dataclass(frozen=True)
class ValueParityFigures:
    """A regressor's parity on one probe set: each value within the absolute tolerance (x scale far out)."""
    name: str
    rows: int
    value_violations: int
    max_abs_diff: float
    max_tolerance: float
    """The largest absolute tolerance a row of this set was held to."""

    @property
    def ok(self) -> bool:
        return self.value_violations == 0

    @property
    def failures(self) -> str:
        return f"{self.value_violations} of {self.rows} values beyond tolerance"


@dataclass(frozen=True)
class QualityResult:
    metric: str
    value: float
    rows: int
    threshold: float
    baseline: float | None
    margin: float
    failures: list[str] = field(default_factory=list)
    held_out: bool = True
    """Whether the rows were never in the model's training data (a fitted model's may have been)."""

    @property
    def passed(self) -> bool:
        return not self.failures

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            self.metric: self.value,
            "rows": self.rows,
            "threshold": self.threshold,
            # The baseline is left out: it is the previous card's figure, and
            # recording it would make a rebuild differ from the build before it.
            "margin": self.margin,
            **({} if self.held_out else {"held_out": False}),
        }


class _LabelVerdicts(NamedTuple):
    """Per row, what `compare` counts."""
    differs: np.ndarray
    excused: np.ndarray
    shortfall: np.ndarray
    tied: np.ndarray
    near_tied: np.ndarray
    violations: np.ndarray
    diff: np.ndarray
    row_tolerance: np.ndarray


def _label_verdicts(
    reference_probabilities: np.ndarray,
    reference_labels: np.ndarray,
    labels: np.ndarray,
    probabilities: np.ndarray,
    tolerance: float,
    scale: np.ndarray | None,
) -> _LabelVerdicts:
    n_classes = reference_probabilities.shape[1]
    row_tolerance = np.full(len(labels), tolerance) if scale is None else tolerance * scale
    # A forest's summed votes rarely tie exactly in float64: two classes a rounding
    # error apart are a tie that float32 may break either way, as an exact tie is.
    ranked = np.sort(reference_probabilities, axis=1)
    gap = ranked[:, -1] - ranked[:, -2] if n_classes > 1 else np.full(len(labels), np.inf)
    # Labels are excused at the stated tolerance, unscaled: far out a row's probability
    # tolerance grows with |x|, and a label flip there is still a flip.
    known = (labels >= 0) & (labels < n_classes)
    chosen = reference_probabilities[np.arange(len(labels)), np.clip(labels, 0, n_classes - 1)]
    shortfall = reference_probabilities.max(axis=1) - chosen
    differs = labels != reference_labels
    excused = differs & known & (shortfall <= tolerance)
    diff = np.abs(probabilities.astype(np.float64) - reference_probabilities)
    # NaN never compares within tolerance: a NaN probability is a violation.
    violations = ~(diff <= row_tolerance[:, None]).all(axis=1)
    return _LabelVerdicts(differs, excused, shortfall, gap == 0, (gap > 0) & (gap <= tolerance), violations, diff,
                          row_tolerance)


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

    Each row's probabilities must agree within `tolerance`, times its `scale`. A label
    difference is excused only where the reference's probability of the class the
    candidate chose is within the stated tolerance of the reference's top probability
    (an exact tie included): the candidate's answer is itself a tie within tolerance.
    Exact ties and near ties are counted apart.
    """
    v = _label_verdicts(reference_probabilities, reference_labels, labels, probabilities, tolerance, scale)
    return ParityFigures(
        name=name,
        rows=len(labels),
        label_mismatches=int((v.differs & ~v.excused).sum()),
        ties=int(v.tied.sum()),
        excused_tie_mismatches=int((v.excused & (v.shortfall == 0)).sum()),
        near_ties=int(v.near_tied.sum()),
        excused_near_tie_mismatches=int((v.excused & (v.shortfall > 0)).sum()),
        probability_violations=int(v.violations.sum()),
        max_abs_diff=float(np.nanmax(v.diff)) if not np.isnan(v.diff).all() else float("nan"),
        max_tolerance=float(v.row_tolerance.max()) if len(labels) else tolerance,
    )


def failing_labels(
    reference_probabilities: np.ndarray,
    reference_labels: np.ndarray,
    labels: np.ndarray,
    probabilities: np.ndarray,
    tolerance: float,
    scale: np.ndarray | None = None,
) -> np.ndarray:
    """Per row, whether `compare` fails it: a label difference not excused, or a
    probability beyond its tolerance."""
    v = _label_verdicts(reference_probabilities, reference_labels, labels, probabilities, tolerance, scale)
    return (v.differs & ~v.excused) | v.violations


def _value_verdicts(
    reference: np.ndarray, values: np.ndarray, tolerance: float, scale: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: whether it is beyond tolerance, its |Δ| and its tolerance."""
    diff = np.abs(values.astype(np.float64) - reference.astype(np.float64))
    row_tolerance = tolerance * (np.ones(len(values)) if scale is None else scale)
    return ~(diff <= row_tolerance), diff, row_tolerance


def compare_values(
    name: str, reference: np.ndarray, values: np.ndarray, tolerance: float, scale: np.ndarray | None = None
) -> ValueParityFigures:
    """A regressor's values against the reference's, each within `tolerance` (absolute,
    see `value_tolerance`) x scale."""
    violations, diff, row_tolerance = _value_verdicts(reference, values, tolerance, scale)
    return ValueParityFigures(
        name=name,
        rows=len(values),
        value_violations=int(violations.sum()),
        max_abs_diff=float(np.nanmax(diff)) if len(diff) and not np.isnan(diff).all() else float("nan"),
        max_tolerance=float(row_tolerance.max()) if len(values) else tolerance,
    )


def failing_values(
    reference: np.ndarray, values: np.ndarray, tolerance: float, scale: np.ndarray | None = None
) -> np.ndarray:
    """Per row, whether `compare_values` fails it."""
    return _value_verdicts(reference, values, tolerance, scale)[0]


def value_tolerance(relative: float, targets: np.ndarray) -> float:
    """A regressor's absolute tolerance: `relative` x max(1, max |training target|).

    A float32 graph's rounding error follows the size of the terms it sums, which
    is the target's scale, not each prediction's own value (which may be near 0)."""
    return relative * max(1.0, float(np.abs(targets).max()))


Reference = Callable[[Rows], Predictions]
"""Rows -> the predictions a candidate model is held to."""


def compare_sets(
    reference: Reference, model: OnnxModel, probes: list[ProbeSet], tolerance: float, value_scale: float = 1.0
) -> ParityResult:
    """The model's outputs against the reference's on every probe set (a regressor's
    tolerance is `tolerance` x `value_scale`, see `value_tolerance`)."""
    sets: list[ParityFigures | ValueParityFigures] = []
    for probe in probes:
        ours, theirs = model.run(probe.rows), reference(probe.rows)
        if model.task == "regression":
            assert ours.values is not None and theirs.values is not None
            sets.append(compare_values(probe.name, theirs.values, ours.values, tolerance * value_scale, probe.scale))
            continue
        assert ours.labels is not None and ours.probabilities is not None
        assert theirs.labels is not None and theirs.probabilities is not None
        sets.append(compare(probe.name, theirs.probabilities, theirs.labels, ours.labels, ours.probabilities,
                            tolerance, probe.scale))
    return ParityResult(tolerance=tolerance, sets=sets)


def estimator_predictions(estimator: Any, task: str) -> Reference:
    """scikit-learn's answers, the model's source, as a parity reference."""
    def predict(rows: Rows) -> Predictions:
        features = rows.for_estimator()
        if task == "regression":
            return Predictions(values=np.asarray(estimator.predict(features)).reshape(-1))
        return Predictions(labels=estimator.predict(features), probabilities=estimator.predict_proba(features))
    return predict


def parity_gate(
    estimator: Any, model: OnnxModel, probes: list[ProbeSet], tolerance: float, value_scale: float = 1.0
) -> ParityResult:
    """onnxruntime against scikit-learn, the model's source."""
    return compare_sets(estimator_predictions(estimator, model.task), model, probes, tolerance, value_scale)


def _metric(metric: str, predictions: Predictions, targets: np.ndarray) -> float:
    if metric == "accuracy":
        return float((predictions.labels == targets).mean())
    if metric == "f1_macro":
        return float(f1_score(targets, predictions.labels, average="macro"))
    if metric == "r2":
        return float(r2_score(targets, predictions.values))
    return float(mean_absolute_error(targets, predictions.values))


def quality_gate(model: OnnxModel, rows: Rows, targets: np.ndarray, gate: Gate, baseline: float | None = None,
                 held_out: bool = True) -> QualityResult:
    """The ONNX model's own metric on held-out rows, against a floor (or ceiling) and the last figure."""
    # Six significant digits: a metric summed over many rows may differ in its last
    # bits between CPUs' SIMD paths, and the card must not.
    value = float(f"{_metric(gate.metric, model.run(rows), targets):.6g}")
    failures = []
    if gate.higher_is_better:
        if value < gate.threshold:
            failures.append(f"{gate.metric} {value:.4f} is below the threshold {gate.threshold:.4f}")
        if baseline is not None and value < baseline - gate.margin:
            failures.append(f"{gate.metric} {value:.4f} fell more than {gate.margin:.4f} below the committed"
                            f" {baseline:.4f}")
    else:
        if value > gate.threshold:
            failures.append(f"{gate.metric} {value:.4f} is above the ceiling {gate.threshold:.4f}")
        if baseline is not None and value > baseline + gate.margin:
            failures.append(f"{gate.metric} {value:.4f} rose more than {gate.margin:.4f} above the committed"
                            f" {baseline:.4f}")
    return QualityResult(gate.metric, value, len(targets), gate.threshold, baseline, gate.margin, failures, held_out)
