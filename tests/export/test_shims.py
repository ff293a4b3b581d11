import subprocess
import sys
from typing import Any

import numpy as np
import onnx
import pytest
from skl2onnx import convert_sklearn
from skl2onnx.common import tree_ensemble
from skl2onnx.common.data_types import FloatTensorType
from skl2onnx.operator_converters import random_forest
from sklearn.base import is_classifier
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

from export import convert, shims
from export.contract import ML_OPSET, TARGET_OPSET
from gateway.model.contract import INPUT_NAME
from gateway.model.session import open_session

SEED = 0
MISSING_SHARE = 0.1
PROBABILITY_TOLERANCE = 1e-5
VALUE_TOLERANCE = 1e-5

# Run in a fresh interpreter: in this one, any test may already have installed the shim.
_UNSHIMMED_CONVERSION = """
import numpy as np
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.datasets import load_iris
from sklearn.ensemble import HistGradientBoostingClassifier

x, y = load_iris(return_X_y=True)
model = HistGradientBoostingClassifier(max_iter=2, random_state=0).fit(x.astype(np.float32), y)
convert_sklearn(model, initial_types=[("input", FloatTensorType([None, 4]))],
                target_opset={"": %d, "ai.onnx.ml": %d}, options={id(model): {"zipmap": False}})
""" % (TARGET_OPSET, ML_OPSET)


def _with_gaps(x: np.ndarray) -> np.ndarray:
    """float32 features with about MISSING_SHARE of the cells NaN, the same every run."""
    x = x.astype(np.float32)
    x[np.random.default_rng(SEED).random(x.shape) < MISSING_SHARE] = np.nan
    return x


def _probe_rows(x: np.ndarray) -> np.ndarray:
    """Complete rows with one feature at a time blanked, then a row with nothing known."""
    complete = x[~np.isnan(x).any(axis=1)][:20]
    blanked = []
    for column in range(x.shape[1]):
        rows = complete.copy()
        rows[:, column] = np.nan
        blanked.append(rows)
    return np.vstack([*blanked, np.full((1, x.shape[1]), np.nan, dtype=np.float32)])


def _to_onnx(estimator: Any, features: int) -> onnx.ModelProto:
    """export.convert's settings: one float input, the contract's opsets, no ZipMap."""
    shims.install()
    return convert_sklearn(
        estimator,
        initial_types=[(INPUT_NAME, FloatTensorType([None, features]))],
        target_opset={"": TARGET_OPSET, "ai.onnx.ml": ML_OPSET},
        options={id(estimator): {"zipmap": False}} if is_classifier(estimator) else None,
    )


def _run(model: onnx.ModelProto, x: np.ndarray) -> list[np.ndarray]:
    return open_session(model.SerializeToString()).run(None, {INPUT_NAME: x})


def _missing_tracks_true(model: onnx.ModelProto) -> list[int]:
    (node,) = [node for node in model.graph.node if node.op_type.startswith("TreeEnsemble")]
    (attribute,) = [a for a in node.attribute if a.name == shims.MISSING_TRACKS_TRUE]
    return list(attribute.ints)


def _learned_missing_routing(estimator: Any) -> list[int]:
    """scikit-learn's NaN routing, node by node in the order skl2onnx writes the trees."""
    return [
        0 if node["is_leaf"] else int(node["missing_go_to_left"])
        for trees in estimator._predictors
        for tree in trees
        for node in tree.nodes
    ]


def test_the_shim_is_still_needed():
    run = subprocess.run([sys.executable, "-c", _UNSHIMMED_CONVERSION], capture_output=True, text=True, timeout=120)
    assert run.returncode != 0, (
        "skl2onnx now converts HistGradientBoostingClassifier without export/shims.py on the locked versions:"
        " the upstream bug is fixed, so drop the HistGradientBoosting workaround and this test"
    )
    assert "TypeError: Field onnx.AttributeProto.ints: Expected an int, got a boolean" in run.stderr, run.stderr


def test_install_is_idempotent():
    shims.install()
    wrapped = random_forest.add_tree_to_attribute_pairs_hist_gradient_boosting
    shims.install()
    assert random_forest.add_tree_to_attribute_pairs_hist_gradient_boosting is wrapped
    assert wrapped.__wrapped__ is tree_ensemble.add_tree_to_attribute_pairs_hist_gradient_boosting


def test_to_onnx_installs_the_shims(logistic, monkeypatch: pytest.MonkeyPatch):
    calls = []
    monkeypatch.setattr(shims, "install", lambda: calls.append(True))
    convert.to_onnx(logistic)
    assert calls == [True]


def test_hist_gradient_boosting_classifier_answers_like_scikit_learn():
    x, y = load_iris(return_X_y=True)
    x = _with_gaps(x)
    estimator = HistGradientBoostingClassifier(random_state=SEED).fit(x, y)
    model = _to_onnx(estimator, x.shape[1])

    tracks = _missing_tracks_true(model)
    assert tracks == _learned_missing_routing(estimator) and any(tracks), "NaN routing was not converted"
    for rows in (x, _probe_rows(x)):
        labels, probabilities = _run(model, rows)
        np.testing.assert_array_equal(labels, estimator.predict(rows))
        np.testing.assert_allclose(probabilities, estimator.predict_proba(rows), rtol=0, atol=PROBABILITY_TOLERANCE)


def test_hist_gradient_boosting_regressor_answers_like_scikit_learn():
    x, y = load_diabetes(return_X_y=True)
    x = _with_gaps(x)
    estimator = HistGradientBoostingRegressor(random_state=SEED).fit(x, y)
    model = _to_onnx(estimator, x.shape[1])

    tracks = _missing_tracks_true(model)
    assert tracks == _learned_missing_routing(estimator) and any(tracks), "NaN routing was not converted"
    tolerance = VALUE_TOLERANCE * max(1.0, float(np.abs(y).max()))
    for rows in (x, _probe_rows(x)):
        (values,) = _run(model, rows)
        np.testing.assert_allclose(values.reshape(-1), estimator.predict(rows), rtol=0, atol=tolerance)
