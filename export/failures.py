"""The rows a failed parity gate failed: found, ranked, shown and written as JSON lines.

Each failing row carries what reproduces it: its probe set, its input (JSON values
in the schema's order, null for a gap) and both answers. The gate's own per-row
verdicts (`export.gates.failing_labels` and `failing_values`, which `compare` and
`compare_values` count) decide which rows fail, so this file never disagrees with
the parity table.
"""
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Final

import numpy as np

from export.files import write_bytes
from export.gates import Reference, failing_labels, failing_values
from export.probes import ProbeSet
from export.rows import json_number
from export.runtime import OnnxModel, Predictions

WORST_SHOWN: Final = 5
MAX_WRITTEN: Final = 10_000
# Inputs printed per row (the file holds every one): a row of 400 features is no
# use on a terminal.
SHOWN_VALUES: Final = 20


def failures_filename(model_name: str) -> str:
    return f"{model_name}.parity-failures.jsonl"


@dataclass(frozen=True)
class FailingRow:
    set: str
    row: int
    """Its position in the probe set."""
    input: list[Any]
    scikit_learn: dict[str, Any]
    onnxruntime: dict[str, Any]
    difference: float
    """The largest |Δ| of its probabilities (or of its value); inf where an answer is NaN."""
    tolerance: float
    """The |Δ| this row was allowed (the gate's tolerance, scaled far out)."""

    def to_json(self) -> dict[str, Any]:
        return {"set": self.set, "row": self.row, "input": self.input, "scikit-learn": self.scikit_learn,
                "onnxruntime": self.onnxruntime, "difference": _finite(self.difference), "tolerance": self.tolerance}


def _finite(value: float) -> float | str:
    """A JSON number, or how JavaScript spells a value JSON has none for."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def _answer(predictions: Predictions, index: int, number: Callable[[Any], float]) -> dict[str, Any]:
    if predictions.values is not None:
        return {"value": _finite(number(predictions.values[index]))}
    assert predictions.labels is not None and predictions.probabilities is not None
    label = predictions.labels[index]
    return {"label": label.item() if isinstance(label, np.generic) else label,
            "probabilities": [_finite(number(p)) for p in predictions.probabilities[index]]}


def _differences(ours: Predictions, theirs: Predictions) -> np.ndarray:
    """Per row, the |Δ| it is ranked by: 0 where both answers are the same infinity,
    infinite where one answer is NaN or only one is infinite."""
    if ours.values is not None and theirs.values is not None:
        mine, reference = ours.values.reshape(-1, 1), theirs.values.reshape(-1, 1)
    else:
        assert ours.probabilities is not None and theirs.probabilities is not None
        mine, reference = ours.probabilities, theirs.probabilities
    mine, reference = mine.astype(np.float64), reference.astype(np.float64)
    with np.errstate(invalid="ignore"):
        diff = np.where(mine == reference, 0.0, np.abs(mine - reference))
    return np.where(np.isnan(diff), np.inf, diff).max(axis=1, initial=0.0)


def _set_failures(
    probe: ProbeSet, ours: Predictions, theirs: Predictions, tolerance: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows of one probe set the gate fails, with their |Δ| and tolerances."""
    if ours.values is not None and theirs.values is not None:
        failing = failing_values(theirs.values, ours.values, tolerance, probe.scale)
    else:
        assert ours.labels is not None and ours.probabilities is not None
        assert theirs.labels is not None and theirs.probabilities is not None
        failing = failing_labels(theirs.probabilities, theirs.labels, ours.labels, ours.probabilities, tolerance,
                                 probe.scale)
    rows = np.flatnonzero(failing)
    tolerances = tolerance * (np.ones(len(failing)) if probe.scale is None else probe.scale)
    return rows, _differences(ours, theirs)[rows], tolerances[rows]


@dataclass(frozen=True)
class Failures:
    """The rows a parity gate failed: the worst MAX_WRITTEN, and how many in all."""
    rows: tuple[FailingRow, ...]
    """The largest difference first."""
    total: int


def failing_rows(
    reference: Reference, model: OnnxModel, probes: list[ProbeSet], tolerance: float, value_scale: float = 1.0
) -> Failures:
    """Every row of `probes` the parity gate fails (judged as `export.gates.compare_sets`
    judges it), counted; the worst MAX_WRITTEN of them, with their inputs and answers."""
    answers = []
    found: list[tuple[np.ndarray, ...]] = [(np.empty(0), np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64),
                                            np.empty(0))]
    for position, probe in enumerate(probes):
        ours, theirs = model.run(probe.rows), reference(probe.rows)
        scaled = tolerance * value_scale if model.task == "regression" else tolerance
        rows, differences, tolerances = _set_failures(probe, ours, theirs, scaled)
        answers.append((probe, ours, theirs))
        found.append((differences, np.full(len(rows), position), rows, tolerances))
    differences, positions, rows, tolerances = (np.concatenate(column) for column in zip(*found))
    # The largest difference first; among equals, in the order of the sets and rows.
    ranked = np.lexsort((rows, positions, -differences))[:MAX_WRITTEN]
    kept = []
    for k in ranked:
        probe, ours, theirs = answers[positions[k]]
        row = int(rows[k])
        kept.append(FailingRow(set=probe.name, row=row, input=probe.rows.row(row),
                               scikit_learn=_answer(theirs, row, float), onnxruntime=_answer(ours, row, json_number),
                               difference=float(differences[k]), tolerance=float(tolerances[k])))
    return Failures(tuple(kept), len(differences))


def write_failures(path: Path, failures: Failures) -> str:
    """Write the rows as JSON lines; where they are, in words."""
    write_bytes(path, "".join(json.dumps(row.to_json(), allow_nan=False) + "\n" for row in failures.rows).encode())
    if len(failures.rows) == failures.total:
        return f"the parity gate's {failures.total:,} failing rows are in {path}"
    return (f"the worst {len(failures.rows):,} of the parity gate's {failures.total:,} failing rows are in {path}"
            f" (at most {MAX_WRITTEN:,} are written)")


def _shown(values: list[Any]) -> str:
    text = json.dumps(values[:SHOWN_VALUES], allow_nan=False)
    return text if len(values) <= SHOWN_VALUES else f"{text[:-1]}, ... {len(values) - SHOWN_VALUES} more]"


def _said(answer: dict[str, Any]) -> str:
    def number(value: Any) -> str:
        return f"{value:.7g}" if isinstance(value, float) else str(value)

    if "value" in answer:
        return f"value {number(answer['value'])}"
    return f"label {answer['label']}, probabilities [{', '.join(number(p) for p in answer['probabilities'])}]"


def worst_rows_report(failures: Failures, where: str) -> str:
    """The WORST_SHOWN worst rows, and `where` (`write_failures`) all of them are."""
    lines = [f"PARITY FAILURES: the {min(WORST_SHOWN, len(failures.rows))} worst by |Δ|; {where}"]
    for row in failures.rows[:WORST_SHOWN]:
        lines += [
            f"{row.set}, row {row.row}: |Δ| {row.difference:.3g} (tolerance {row.tolerance:.3g})",
            f"  input         {_shown(row.input)}",
            f"  scikit-learn  {_said(row.scikit_learn)}",
            f"  onnxruntime   {_said(row.onnxruntime)}",
        ]
    return "\n".join(lines)
