"""Failures that explain themselves: a failed parity gate shows and writes its failing
rows; a conversion error names the innermost step that failed and skl2onnx's whole cause."""
import dataclasses
import json
import shutil

import numpy as np
import onnx
import pytest
from skl2onnx.common import tree_ensemble
from skl2onnx.operator_converters import random_forest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler

from export import failures, shims
from export.cli import EXIT_GATE_FAILED, main
from export.convert import serialize, to_onnx
from export.errors import InputError
from export.failures import WORST_SHOWN, failing_rows
from export.files import sha256
from export.gates import compare, estimator_predictions, failing_labels
from export.probes import Categories, probe_sets
from export.runtime import OnnxModel, Predictions
from export.spec import load_spec
from export.train import TrainedModel, train
from gateway.model.contract import INPUT_NAME
from gateway.model.session import open_session

POINTS = "2000"
ANSWER_KEYS = {"set", "input", "scikit-learn", "onnxruntime"}


def _shift_intercept(model: onnx.ModelProto, delta: float) -> None:
    (node,) = [n for n in model.graph.node if n.op_type == "LinearClassifier"]
    (intercepts,) = [a for a in node.attribute if a.name == "intercepts"]
    intercepts.floats[0] += delta


@pytest.fixture
def tampered(tmp_path, repo_root):
    """The committed Iris model with class 0's intercept moved, and a card that matches it."""
    for name in ("iris.onnx", "iris.json", "iris.toml"):
        shutil.copy(repo_root / "models" / name, tmp_path / name)
    model = onnx.load(tmp_path / "iris.onnx")
    _shift_intercept(model, 0.5)
    onnx.save(model, tmp_path / "iris.onnx")
    card = json.loads((tmp_path / "iris.json").read_text())
    card["onnx"]["sha256"] = sha256((tmp_path / "iris.onnx").read_bytes())
    (tmp_path / "iris.json").write_text(json.dumps(card))
    return tmp_path


def _lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_failed_gates_print_the_worst_rows_and_write_them_all_beside_the_card(tampered, capsys):
    code = main(["gates", "--model", str(tampered / "iris.onnx"), "--card", str(tampered / "iris.json"),
                 "--random-points", POINTS])
    out, err = capsys.readouterr()
    assert code == EXIT_GATE_FAILED, err
    path = tampered / "iris.parity-failures.jsonl"
    rows = _lines(path)
    assert rows and all(ANSWER_KEYS <= set(row) for row in rows)
    assert f"the parity gate's {len(rows):,} failing rows are in {path}" in err
    assert [row["difference"] for row in rows] == sorted((row["difference"] for row in rows), reverse=True)

    # Printed after the parity table, the worst first, as the file has them.
    assert out.index("parity gate: FAIL") < out.index("PARITY FAILURES") < out.index("QUALITY")
    assert out.count("  scikit-learn  label ") == out.count("  onnxruntime   label ") == WORST_SHOWN
    worst = rows[0]
    assert f"{worst['set']}, row {worst['row']}: |Δ| {worst['difference']:.3g}" in out
    assert f"  input         {json.dumps(worst['input'])}" in out

    # Each row reproduces: its input, run again, gives the onnxruntime answer written,
    # and that answer is beyond the row's tolerance of scikit-learn's (or another label).
    session = open_session((tampered / "iris.onnx").read_bytes())
    for row in rows[:50]:
        labels, probabilities = session.run(None, {INPUT_NAME: np.array([row["input"]], dtype=np.float32)})
        assert labels[0] == row["onnxruntime"]["label"]
        # One row alone takes another SIMD path than the probe set's batch: the last
        # bits differ, by less than the gate tolerates.
        np.testing.assert_allclose(probabilities[0], row["onnxruntime"]["probabilities"], rtol=0,
                                   atol=row["tolerance"])
        delta = np.abs(probabilities[0] - np.array(row["scikit-learn"]["probabilities"])).max()
        assert delta > row["tolerance"] or row["scikit-learn"]["label"] != row["onnxruntime"]["label"]


def test_a_failed_build_writes_only_its_failing_rows_the_worst_first(tmp_path, capsys, monkeypatch):
    # Only rows whose float32 answer equals float64's to the last bit pass 1e-15:
    # thousands fail, more than the file is allowed to take here.
    monkeypatch.setattr(failures, "MAX_WRITTEN", 100)
    code = main(["build", "--out", str(tmp_path), "--tolerance", "1e-15", "--random-points", POINTS])
    err = capsys.readouterr().err
    assert code == EXIT_GATE_FAILED
    assert [path.name for path in tmp_path.iterdir()] == ["iris.parity-failures.jsonl"]
    rows = _lines(tmp_path / "iris.parity-failures.jsonl")
    assert len(rows) == 100 and rows[0]["difference"] >= rows[-1]["difference"]
    assert "gates failed: the model and card are not written; the worst 100 of the parity gate's" in err
    assert f"failing rows are in {tmp_path / 'iris.parity-failures.jsonl'} (at most 100 are written)" in err


def test_the_rows_found_are_exactly_those_the_gate_fails_one_by_one():
    rng = np.random.default_rng(0)
    rows = 2_000
    reference = rng.dirichlet(np.ones(3), size=rows)
    reference[::7] = [0.4, 0.4, 0.2]  # exact ties at the top
    reference_labels = reference.argmax(axis=1)
    labels, probabilities = reference_labels.copy(), reference.astype(np.float32)
    labels[::7] = 1  # the other tied class: excused
    labels[::97] = 2  # another class: a failure wherever 2 is not at the top
    probabilities[rng.random(rows) < 0.01, 0] += 1e-3
    probabilities[5, 1] = np.nan

    def judge(index):
        return compare("s", reference[index], reference_labels[index], labels[index], probabilities[index], 1e-5)

    one_by_one = [row for row in range(rows) if not judge(np.array([row])).ok]
    assert len(one_by_one) > 20
    found = failing_labels(reference, reference_labels, labels, probabilities, 1e-5)
    assert np.flatnonzero(found).tolist() == one_by_one
    assert failing_labels(reference[:0], reference_labels[:0], labels[:0], probabilities[:0], 1e-5).tolist() == []


@pytest.fixture(scope="module")
def diabetes(repo_root) -> TrainedModel:
    return train(load_spec(repo_root / "models" / "examples" / "diabetes" / "diabetes.toml"))


def test_a_regressor_s_failing_rows_carry_both_values(diabetes):
    data = diabetes.data
    model = OnnxModel(serialize(to_onnx(diabetes)), data.schema, "regression")
    probes = probe_sets(data, Categories.of(data, answered=False), 500)
    faithful = estimator_predictions(diabetes.estimator, "regression")
    moved = (3, 7)

    def reference(rows):
        values = faithful(rows).values.copy()
        values[list(moved)] += 1e4  # beyond even the farthest row's scaled tolerance
        return Predictions(values=values)

    found = failing_rows(reference, model, probes, 1e-5, float(np.abs(data.y_train).max()))
    assert found.total == len(found.rows) == len(probes) * len(moved)
    assert sorted((row.set, row.row) for row in found.rows) == sorted((p.name, i) for p in probes for i in moved)
    for row in found.rows:
        probe = next(p for p in probes if p.name == row.set)
        assert row.input == probe.rows.row(row.row)
        assert row.scikit_learn["value"] - row.onnxruntime["value"] == pytest.approx(1e4, rel=1e-3)
        assert ANSWER_KEYS <= set(row.to_json())


class Doubler(TransformerMixin, BaseEstimator):
    """A transformer of the user's own, which skl2onnx has no converter for."""

    def fit(self, x, y=None):
        return self

    def transform(self, x):
        return np.asarray(x) * 2


def _conversion_error(trained: TrainedModel, estimator) -> str:
    data = trained.data
    estimator.fit(data.x_train.for_estimator(fit=True), data.y_train)
    with pytest.raises(InputError) as error:
        to_onnx(dataclasses.replace(trained, estimator=estimator))
    return str(error.value)


def test_a_step_without_a_converter_is_named_with_skl2onnx_s_whole_message(logistic):
    message = _conversion_error(
        logistic, Pipeline([("scale", StandardScaler()), ("double", Doubler()), ("model", LogisticRegression())]))
    assert message.startswith(
        "skl2onnx cannot convert Pipeline(StandardScaler, Doubler, LogisticRegression) at step 'double' (Doubler):"
        " Unable to find a shape calculator for type '<class 'tests.export.test_failures.Doubler'>'.\n")
    # Its last line too: the message is whole, not its first line.
    assert message.endswith("If the model is a custom model, a new converter must\nbe implemented. Examples can be"
                            " found in the gallery.")


def test_a_step_inside_a_column_transformer_is_named_by_its_path(logistic):
    columns = ColumnTransformer([("log", FunctionTransformer(np.log1p), [0, 1]), ("scale", StandardScaler(), [2, 3])])
    message = _conversion_error(logistic, Pipeline([("columns", columns), ("model", LogisticRegression())]))
    assert message == (
        "skl2onnx cannot convert Pipeline(ColumnTransformer, LogisticRegression) at step 'columns__log'"
        " (FunctionTransformer): FunctionTransformer is not supported unless the transform function is None"
        " (= identity). You may raise an issue at https://github.com/onnx/sklearn-onnx/issues.")


def test_a_converter_s_failure_gives_the_cause_it_chains_not_a_cut_attribute_dump(logistic, monkeypatch):
    # skl2onnx's HistGradientBoosting converter without export/shims.py: it fails
    # creating the node, with every attribute's values in its message, raised from
    # the protobuf error that is the cause.
    monkeypatch.setattr(random_forest, "add_tree_to_attribute_pairs_hist_gradient_boosting",
                        tree_ensemble.add_tree_to_attribute_pairs_hist_gradient_boosting)
    monkeypatch.setattr(shims, "install", lambda: None)
    columns = ColumnTransformer([("scale", StandardScaler(), [0, 1, 2, 3])])
    model = HistGradientBoostingClassifier(max_iter=3, random_state=0)
    message = _conversion_error(logistic, Pipeline([("columns", columns), ("model", model)]))
    assert message.startswith(
        "skl2onnx cannot convert Pipeline(ColumnTransformer, HistGradientBoostingClassifier) at step 'model'"
        " (HistGradientBoostingClassifier): Unable to create node 'TreeEnsembleClassifier' with"
        " name='TreeEnsembleClassifier' and attributes base_values, class_ids,")
    assert "nodes_missing_value_tracks_true" in message and "array(" not in message
    assert message.endswith("\ncaused by TypeError: Field onnx.AttributeProto.ints: Expected an int, got a boolean.")
