import hashlib
import json
import re
from pathlib import Path

import numpy as np
import pytest

from export.cli import main
from export.rows import Rows


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    assert main(["build", "--out", str(out), "--random-points", "2000"]) == 0
    return out


def test_card_describes_the_file_beside_it(built):
    card = json.loads((built / "iris.json").read_text())
    assert card["onnx"]["sha256"] == hashlib.sha256((built / "iris.onnx").read_bytes()).hexdigest()
    assert card["name"] == "iris"
    assert card["classes"] == ["setosa", "versicolor", "virginica"]
    assert card["tensors"]["input"] == {"name": "input", "datatype": "FP32", "shape": [-1, 4]}
    assert card["onnx"]["opsets"]["ai.onnx"] == 22
    assert set(card["versions"]) >= {"scikit-learn", "skl2onnx", "onnx", "onnxruntime", "numpy", "python"}
    assert card["split"] == {
        "dataset": "sklearn.datasets.load_iris", "target": "target", "test_size": 0.2, "random_state": 42,
        "stratify": False, "train_rows": 120, "test_rows": 30,
    }
    assert card["schema_version"] == 2 and card["task"] == "classification"
    assert card["spec"]["file"] == "models/iris.toml"
    assert card["spec"]["sha256"] == hashlib.sha256(Path("models/iris.toml").read_bytes()).hexdigest()
    assert card["gates"]["parity"]["passed"] and card["gates"]["accuracy"]["passed"]
    assert card["metrics"]["accuracy"] == card["gates"]["accuracy"]["accuracy"]


def test_feature_range_is_the_training_box(built, dataset):
    card = json.loads((built / "iris.json").read_text())
    lows, highs = card["feature_range"]["min"], card["feature_range"]["max"]
    assert lows == pytest.approx(dataset.x_train.numbers.min(axis=0).tolist(), rel=1e-6)
    assert highs == pytest.approx(dataset.x_train.numbers.max(axis=0).tolist(), rel=1e-6)
    columns = card["feature_columns"]
    assert [(c["name"], c["kind"], c["min"], c["max"]) for c in columns] == list(
        zip(card["features"], ["number"] * 4, lows, highs))


def test_examples_are_training_rows_the_model_gives_their_class(built, dataset, logistic_onnx):
    """The API documentation's examples (gateway/api/openapi.py): one typical row per class."""
    card = json.loads((built / "iris.json").read_text())
    examples = card["examples"]
    assert [example["class"] for example in examples] == card["classes"]
    training_rows = {tuple(round(float(v), 6) for v in row) for row in dataset.x_train.numbers}
    rows = np.asarray([example["features"] for example in examples], dtype=np.float32)
    for example in examples:
        assert tuple(example["features"]) in training_rows, example
    labels = logistic_onnx.run(Rows(dataset.schema, rows, np.empty((len(rows), 0)))).labels
    assert labels.tolist() == list(range(len(card["classes"])))
    assert [example["prediction"] for example in examples] == labels.tolist()


def _keys(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _keys(value)


def test_card_holds_no_timestamps_or_hosts(built):
    text = (built / "iris.json").read_text()
    keys = " ".join(_keys(json.loads(text))).lower()
    assert not re.search(r"\b(time|timestamp|date|created|built_at|host|hostname|user|path)\b", keys)
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}", text)
    assert str(built) not in text
