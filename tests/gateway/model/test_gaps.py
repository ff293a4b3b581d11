"""Missing values in the gateway's core, on a card made here: which columns take a gap,
the 400 naming a column that does not, the counts per column, the drift boxes and the
OpenAPI document. Against real servers: tests/examples/test_served_gaps.py."""
import json
from pathlib import Path

import numpy as np
import pytest
from openapi_spec_validator import validate

from gateway.api.openapi import document
from gateway.errors import InvalidInput
from gateway.model.bounds import Box
from gateway.model.card import ModelCard
from gateway.model.contract import MISSING_CATEGORY
from gateway.model.inference import Model
from gateway.model.session import open_session
from gateway.signals.metrics import Metrics

# Two number columns (a takes a gap, b refuses one with the card's reason) and a
# category column that takes one.
COLUMNS = [
    {"name": "a", "kind": "number", "min": 0.0, "max": 1.0, "missing": "accepted", "missing_rate": 0.05},
    {"name": "b", "kind": "number", "min": 0.0, "max": 1.0, "missing": "refused", "missing_rate": 0.0,
     "missing_reason": "the ONNX model answers otherwise"},
    {"name": "c", "kind": "category", "categories": ["x", "y"], "unseen": "answered", "missing": "accepted",
     "missing_rate": 0.1},
]


@pytest.fixture
def card(tmp_path: Path) -> ModelCard:
    inputs = [{"name": c["name"], "datatype": "FP32" if c["kind"] == "number" else "BYTES", "shape": [-1, 1]}
              for c in COLUMNS]
    path = tmp_path / "gaps.json"
    path.write_text(json.dumps({
        "schema_version": 2, "name": "gaps", "version": "1", "task": "classification", "onnx": {"sha256": "0"},
        "features": [c["name"] for c in COLUMNS], "feature_columns": COLUMNS, "classes": ["no", "yes"],
        "feature_range": {"min": [0.0, 0.0], "max": [1.0, 1.0]},
        "parity_region": {"box": {"min": [-1.0, -1.0], "max": [2.0, 2.0]}},
        "tensors": {"inputs": inputs, "outputs": [{"name": "label", "datatype": "INT64", "shape": [-1]},
                                                  {"name": "probabilities", "datatype": "FP32", "shape": [-1, 2]}]},
        "examples": [{"class": "no", "features": [0.5, 0.5, "x"], "prediction": 0}],
    }))
    return ModelCard.load(path)


@pytest.fixture
def model(card: ModelCard, repo_root: Path) -> Model:
    # Model.gaps reads the card only; any session will do for a model never run here.
    return Model(open_session((repo_root / "models" / "iris.onnx").read_bytes()), card)


def test_the_card_says_which_columns_take_a_gap_and_why_not(card):
    assert [(c.takes_gaps, c.missing_reason) for c in card.columns] == [
        (True, None), (False, "the ONNX model answers otherwise"), (True, None)]


def test_gaps_are_counted_per_column_in_the_cards_order(model):
    rows = np.array([[np.nan, 0.5], [0.1, 0.2], [np.nan, 0.3]], dtype=np.float32)
    categories = np.array([[MISSING_CATEGORY], ["x"], [MISSING_CATEGORY]], dtype=object)
    assert model.gaps(rows, categories) == [2, 0, 2]


def test_a_gap_in_a_column_the_card_refuses_is_a_400_naming_it_and_why(model):
    rows = np.array([[0.1, 0.2], [0.1, np.nan]], dtype=np.float32)
    with pytest.raises(InvalidInput) as raised:
        model.gaps(rows, np.array([["x"], ["y"]], dtype=object))
    assert str(raised.value) == ("b is missing (null, or NaN in a binary tensor) in 1 row(s), and this model refuses"
                                 " a missing b: the ONNX model answers otherwise")


def test_a_missing_category_is_not_an_unseen_one(model):
    categories = np.array([[MISSING_CATEGORY], ["x"], ["never seen"]], dtype=object)
    assert model.unseen(categories) == 1


@pytest.mark.parametrize("rows", [1, 3, 1000])
def test_a_gap_is_never_outside_a_box(rows):
    box = Box(np.array([0.0, 0.0, 0.0, 0.0]), np.array([1.0, 1.0, 1.0, 1.0]))
    inside = np.full((rows, 4), 0.5, dtype=np.float32)
    inside[:, 1] = np.nan
    assert box.outside(inside) == 0
    inside[0, 2] = 7.0  # a gap beside a real outlier: the row is outside for the outlier
    assert box.outside(inside) == 1


def test_missing_cells_reach_metrics_per_column(card):
    metrics = Metrics()
    metrics.set_model(card)
    metrics.observe_gaps([2, 0, 1])
    metrics.observe_gaps([1, 0, 0])
    text = metrics.exposition().decode()
    assert 'gateway_missing_cells_total{column="a"} 3.0' in text
    assert 'gateway_missing_cells_total{column="c"} 1.0' in text
    assert 'column="b"' not in text  # a series only for columns that had a gap


def test_the_openapi_document_lets_null_through_only_where_the_card_takes_a_gap(card):
    spec = document(card, ["/predict", "/v2/models/{model_name}/infer"])
    validate(spec)
    row = spec["components"]["schemas"]["PredictRequest"]["properties"]["features"]["anyOf"][0]
    cells = row["prefixItems"]
    assert [{"type": "null"} in cell.get("anyOf", []) for cell in cells] == [True, False, True]
