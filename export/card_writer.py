"""The model card: everything a reviewer or the gateway needs to know about iris.onnx.

It holds no timestamps or host details, so the same lock and code give the same bytes.
"""
import json
import platform
from importlib.metadata import version
from pathlib import Path
from typing import Any, Final

import numpy as np
import onnx

from export.errors import InputError
from export.contract import INPUT_NAME, LABEL_NAME, MODEL_NAME, PROBABILITIES_NAME
from export.gates import AccuracyResult, ParityResult
from export.probes import BOX_MARGIN, FAR_REACHES, feature_box
from export.train import BLAS_THREADS, FIT_DTYPE, SEED, TEST_SIZE, TrainedModel

CARD_SCHEMA_VERSION: Final = 1
# What the export stage reads back from a card.
REQUIRED_FIELDS: Final = (("onnx", "sha256"), ("estimator", "name"), ("metrics", "accuracy"))
RECORDED_PACKAGES: Final = ("scikit-learn", "skl2onnx", "onnx", "onnxruntime", "numpy")


def package_versions() -> dict[str, str]:
    versions = {name: version(name) for name in RECORDED_PACKAGES}
    # major.minor only: a patch release of CPython does not change the model.
    versions["python"] = ".".join(platform.python_version_tuple()[:2])
    return versions


def _decimal(values: Any) -> list[float]:
    # The float32 training values printed as the decimals they came from
    # (7.7, not 7.699999809265137); float32() of either is the same number.
    return [round(float(value), 6) for value in values]


def parity_region(trained: TrainedModel, parity: ParityResult) -> dict[str, Any]:
    """Where the parity gate proved the model: the box, and how far beyond it it looked."""
    low, high = feature_box(trained.data.x_all, BOX_MARGIN)
    return {
        "box": {"min": _decimal(low), "max": _decimal(high), "margin": BOX_MARGIN},
        "probability_atol": parity.tolerance,
        "far_reaches": list(FAR_REACHES),
        "far_tolerance": "probability_atol x max(1, max|x| / max|box bound|), per row",
    }


def class_examples(trained: TrainedModel) -> list[dict[str, Any]]:
    """One typical training row per class, for the API documentation's examples: the
    row nearest the class's componentwise median. Medians and a rounded L1 distance
    over four numbers: no sum whose order (and last bit) could follow the CPU."""
    data = trained.data
    examples = []
    for index, name in enumerate(data.class_names):
        rows = data.x_train[data.y_train == index].astype(np.float64)
        distance = np.round(np.abs(rows - np.median(rows, axis=0)).sum(axis=1), 6)
        examples.append({"class": name, "features": _decimal(rows[int(np.argmin(distance))])})
    return examples


def build_card(
    trained: TrainedModel,
    model: onnx.ModelProto,
    sha256: str,
    model_version: str,
    parity: ParityResult,
    accuracy: AccuracyResult,
) -> dict[str, Any]:
    data = trained.data
    return {
        "schema_version": CARD_SCHEMA_VERSION,
        "name": MODEL_NAME,
        "version": model_version,
        "estimator": {
            "name": trained.name,
            "class": type(trained.estimator).__name__,
            "params": trained.params,
            "fit": {"input_dtype": np.dtype(FIT_DTYPE).name, "blas_threads": BLAS_THREADS},
        },
        "features": data.feature_names,
        "classes": data.class_names,
        "feature_range": {
            "min": _decimal(data.x_train.min(axis=0)),
            "max": _decimal(data.x_train.max(axis=0)),
        },
        "parity_region": parity_region(trained, parity),
        "examples": class_examples(trained),
        "tensors": {
            "input": {"name": INPUT_NAME, "datatype": "FP32", "shape": [-1, len(data.feature_names)]},
            "outputs": [
                {"name": LABEL_NAME, "datatype": "INT64", "shape": [-1]},
                {"name": PROBABILITIES_NAME, "datatype": "FP32", "shape": [-1, len(data.class_names)]},
            ],
        },
        "onnx": {
            "sha256": sha256,
            "ir_version": model.ir_version,
            "opsets": {entry.domain or "ai.onnx": entry.version for entry in model.opset_import},
            "producer": f"{model.producer_name} {model.producer_version}",
        },
        "versions": package_versions(),
        "split": {
            "dataset": "sklearn.datasets.load_iris",
            "test_size": TEST_SIZE,
            "random_state": SEED,
            "train_rows": len(data.y_train),
            "test_rows": len(data.y_test),
        },
        "metrics": {"accuracy": accuracy.accuracy, "accuracy_measured_on": "onnxruntime, test split"},
        "gates": {"parity": parity.to_dict(), "accuracy": accuracy.to_dict()},
    }


def dumps(card: dict[str, Any]) -> bytes:
    return (json.dumps(card, indent=2, sort_keys=True) + "\n").encode()


def read_card(path: Path) -> dict[str, Any] | None:
    """The card as committed, or None where there is none yet."""
    try:
        card = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"model card {path} is not JSON: {error}") from None
    for keys in REQUIRED_FIELDS:
        node = card
        for key in keys:
            if not isinstance(node, dict) or key not in node:
                raise InputError(f"model card {path} lacks {'.'.join(keys)}")
            node = node[key]
    return card
