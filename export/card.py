"""The model card, built and read back: everything a reviewer or the gateway needs to know
about an exported model.

It holds no timestamps or host details, so the same lock and code give the same bytes.
"""
import json
import platform
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final

import numpy as np
import onnx

from gateway.model.contract import (
    CARD_SCHEMA_VERSION, INPUT_NAME, LABEL_NAME, MISSING_CATEGORY, PROBABILITIES_NAME, VALUE_NAME,
)
from export.conversion_errors import describe_steps
from export.errors import InputError
from export.gaps import Gaps
from export.gates import ParityResult, QualityResult, value_tolerance
from export.probes import BOX_MARGIN, FAR_REACHES, Categories, feature_box
from export.rows import FIT_DTYPE, Rows, json_number
from export.runtime import OnnxModel
from export.train import BLAS_THREADS, TrainedModel

# What the export stage reads back from a card.
REQUIRED_FIELDS: Final = (("onnx", "sha256"), ("estimator", "name"), ("metrics",), ("spec", "file"))
RECORDED_PACKAGES: Final = ("scikit-learn", "skl2onnx", "onnx", "onnxruntime", "numpy")
# Regression examples: the training rows whose predictions sit at these quantiles.
EXAMPLE_QUANTILES: Final = (0.0, 0.25, 0.5, 0.75, 1.0)


def package_versions() -> dict[str, str]:
    versions = {name: version(name) for name in RECORDED_PACKAGES}
    # major.minor only: a patch release of CPython does not change the model.
    versions["python"] = ".".join(platform.python_version_tuple()[:2])
    return versions


def _decimal(values: Any) -> list[float]:
    return [json_number(value) for value in values]


def _values(seen: list[str]) -> list[str]:
    """A column's categories as the card lists them: a gap is not one (`missing` says it)."""
    return [value for value in seen if value != MISSING_CATEGORY]


def parity_region(trained: TrainedModel, parity: ParityResult, categories: Categories) -> dict[str, Any]:
    """Where the parity gate proved the model: the box, the categories, and how far beyond it looked."""
    low, high = feature_box(trained.data.x_all.numbers, BOX_MARGIN)
    tolerance_key = "probability_atol" if trained.spec.task == "classification" else "value_rtol"
    region: dict[str, Any] = {
        "box": {"min": _decimal(low), "max": _decimal(high), "margin": BOX_MARGIN},
        tolerance_key: parity.tolerance,
        "far_reaches": list(FAR_REACHES),
        "far_tolerance": f"{tolerance_key} x max(1, max_i |x_i| / max(|low_i|, |high_i|)), per row",
    }
    if trained.spec.task == "regression":
        region["value_scale"] = value_tolerance(1.0, trained.data.y_train)
    if trained.data.schema.categories:
        region["categories"] = {"seen": [_values(seen) for seen in categories.seen],
                                "unseen": "answered" if categories.answered else "refused"}
    return region


def _typical(rows: np.ndarray, among: np.ndarray) -> int:
    """Of the rows `among` selects, the one nearest the componentwise median of all
    `rows`. Medians and a rounded L1 distance: no sum whose order (and last bit)
    could follow the CPU."""
    rows = rows.astype(np.float64)
    distance = np.round(np.abs(rows[among] - np.median(rows, axis=0)).sum(axis=1), 6)
    return int(among[int(np.argmin(distance))])


def _complete(rows: Rows) -> np.ndarray:
    """Whether each row is free of gaps: examples show complete rows where there are any."""
    complete = ~rows.missing().any(axis=1)
    return complete if complete.any() else np.ones(len(rows), dtype=bool)


def class_examples(trained: TrainedModel, model: OnnxModel) -> list[dict[str, Any]]:
    """One typical training row per class that the model answers with that class."""
    data = trained.data
    assert data.class_names is not None
    labels = model.run(data.x_train).labels
    complete = _complete(data.x_train)
    examples = []
    for index, name in enumerate(data.class_names):
        members = np.flatnonzero((data.y_train == index) & complete)
        answered = np.flatnonzero(labels[members] == index)
        if len(answered) == 0:
            continue
        row = int(members[_typical(data.x_train.numbers[members], answered)])
        examples.append({"class": name, "features": data.x_train.row(row), "prediction": index})
    return examples


def value_examples(trained: TrainedModel, model: OnnxModel) -> list[dict[str, Any]]:
    """A spread of training rows: those whose predictions sit at EXAMPLE_QUANTILES."""
    rows = trained.data.x_train
    values = model.run(rows).values
    assert values is not None
    complete = np.flatnonzero(_complete(rows))
    order = complete[np.argsort(values[complete], kind="stable")]
    picks = [int(order[round(q * (len(order) - 1))]) for q in EXAMPLE_QUANTILES]
    return [{"features": rows.row(row), "prediction": float(values[row])} for row in picks]


def feature_columns(rows: Rows, categories: Categories, gaps: Gaps) -> list[dict[str, Any]]:
    """Each feature in input order: its kind, its training range or categories, and
    whether a gap is served there (with the training gap rate, and why not where a
    scikit-learn answer was not reproduced)."""
    numbers, seen = iter(rows.numbers.T), iter(categories.seen)
    columns = []
    for position, feature in enumerate(rows.schema.features):
        if feature.kind == "number":
            values = next(numbers)
            column = {"name": feature.name, "kind": "number",
                      "min": _decimal([np.nanmin(values)])[0], "max": _decimal([np.nanmax(values)])[0]}
        else:
            column = {"name": feature.name, "kind": "category", "categories": _values(next(seen)),
                      "unseen": "answered" if categories.answered else "refused"}
        column["missing"] = gaps.status(position)
        column["missing_rate"] = gaps.rates[position]
        reason = gaps.reason(feature.name)
        if reason is not None:
            column["missing_reason"] = reason
        columns.append(column)
    return columns


def tensors(trained: TrainedModel) -> dict[str, Any]:
    schema, data = trained.data.schema, trained.data
    if schema.per_column:
        inputs = [{"name": f.name, "datatype": "FP32" if f.kind == "number" else "BYTES", "shape": [-1, 1]}
                  for f in schema.features]
    else:
        inputs = [{"name": INPUT_NAME, "datatype": "FP32", "shape": [-1, len(schema.features)]}]
    if trained.spec.task == "classification":
        assert data.class_names is not None
        outputs = [
            {"name": LABEL_NAME, "datatype": "INT64", "shape": [-1]},
            {"name": PROBABILITIES_NAME, "datatype": "FP32", "shape": [-1, len(data.class_names)]},
        ]
    else:
        outputs = [{"name": VALUE_NAME, "datatype": "FP32", "shape": [-1, 1]}]
    described: dict[str, Any] = {"inputs": inputs, "outputs": outputs}
    if not schema.per_column:
        described["input"] = inputs[0]
    return described


def spec_reference(trained: TrainedModel) -> dict[str, Any]:
    """The spec as the card names it: relative to the project folder the export runs in
    (so the card does not depend on where the checkout is), and its sha256."""
    spec, root = trained.spec.path.resolve(), Path.cwd().resolve()
    return {"file": spec.relative_to(root).as_posix() if spec.is_relative_to(root) else str(spec),
            "sha256": trained.spec.sha256}


def build_card(
    trained: TrainedModel,
    proto: onnx.ModelProto,
    model: OnnxModel,
    sha256: str,
    parity: ParityResult,
    quality: QualityResult,
    categories: Categories,
    gaps: Gaps,
) -> dict[str, Any]:
    data, spec = trained.data, trained.spec
    card: dict[str, Any] = {
        "schema_version": CARD_SCHEMA_VERSION,
        "name": spec.name,
        "version": spec.version,
        "task": spec.task,
        "spec": spec_reference(trained),
        "estimator": {
            "name": trained.name,
            "class": type(trained.estimator).__name__,
            "steps": describe_steps(trained.estimator),
            "params": trained.params,
            **({"fitted": trained.fitted.card()} if trained.fitted is not None else
               {"fit": {"input_dtype": np.dtype(FIT_DTYPE).name, "blas_threads": BLAS_THREADS}}),
        },
        "features": data.feature_names,
        "feature_columns": feature_columns(data.x_train, categories, gaps),
        "feature_range": {
            "min": _decimal(np.nanmin(data.x_train.numbers, axis=0)),
            "max": _decimal(np.nanmax(data.x_train.numbers, axis=0)),
        },
        "parity_region": parity_region(trained, parity, categories),
        "tensors": tensors(trained),
        "onnx": {
            "sha256": sha256,
            "ir_version": proto.ir_version,
            "opsets": {entry.domain or "ai.onnx": entry.version for entry in proto.opset_import},
            "producer": f"{proto.producer_name} {proto.producer_version}",
        },
        "versions": package_versions(),
        "split": {
            "dataset": data.source,
            "target": spec.data.target,
            "test_size": spec.split.test_size,
            "random_state": spec.split.seed,
            "stratify": spec.split.stratify,
            "train_rows": len(data.y_train),
            "test_rows": len(data.y_test),
        },
        "metrics": {quality.metric: quality.value, f"{quality.metric}_measured_on": "onnxruntime, test split" + (
            "" if quality.held_out else " (which the fitted model may have seen: the spec names no held-out data)")},
        "gates": {"parity": parity.to_dict(), quality.metric: quality.to_dict()},
    }
    if spec.task == "classification":
        card["classes"] = data.class_names
        card["examples"] = class_examples(trained, model)
    else:
        card["value"] = {"tensor": VALUE_NAME, "target": spec.data.target,
                         "min": float(data.y_train.min()), "max": float(data.y_train.max())}
        card["examples"] = value_examples(trained, model)
    return card


def dumps(card: dict[str, Any]) -> bytes:
    return (json.dumps(card, indent=2, sort_keys=True) + "\n").encode()


def read_json(path: Path) -> Any:
    """A card's JSON, of any schema version, or None where there is none yet."""
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"model card {path} is not JSON: {error}") from None


def read_card(path: Path) -> dict[str, Any] | None:
    """The card as committed, checked against this export's schema; None where there is none yet."""
    card = read_json(path)
    if card is None:
        return None
    if not isinstance(card, dict) or card.get("schema_version") != CARD_SCHEMA_VERSION:
        found = card.get("schema_version") if isinstance(card, dict) else None
        raise InputError(f"model card {path} has schema_version {found!r}; this export reads {CARD_SCHEMA_VERSION}")
    for keys in REQUIRED_FIELDS:
        node = card
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                raise InputError(f"model card {path} lacks {'.'.join(keys)}")
            node = node[key]
    return card
