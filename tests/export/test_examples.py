"""The shipped example specs: each builds, passes both gates, and writes the card the gateway reads."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from export.cli import EXIT_BAD_INPUT, EXIT_GATE_FAILED, EXIT_OK, main
from export.datasets import load_dataset
from export.spec import load_spec
from export.train import train
from tests.support import EXAMPLES
from tests.specs import strict_churn


def card_of(built_examples: dict[str, Path], name: str) -> dict:
    return json.loads((built_examples[name] / f"{name}.json").read_text())


def session_of(built_examples: dict[str, Path], name: str) -> ort.InferenceSession:
    return ort.InferenceSession(str(built_examples[name] / f"{name}.onnx"), providers=["CPUExecutionProvider"])


def feeds(card: dict, rows: list[list]) -> dict[str, np.ndarray]:
    """The ONNX inputs for rows given in the card's feature order, as its tensors say."""
    inputs = card["tensors"]["inputs"]
    if len(inputs) == 1:
        return {inputs[0]["name"]: np.asarray(rows, dtype=np.float32)}
    return {
        tensor["name"]: np.asarray([[row[i]] for row in rows], dtype=np.float32 if tensor["datatype"] == "FP32"
                                   else object)
        for i, tensor in enumerate(inputs)
    }


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_answers_its_card_examples_as_the_card_says(built_examples, name):
    card = card_of(built_examples, name)
    assert card["schema_version"] == 2 and card["gates"]["parity"]["passed"]
    rows = [example["features"] for example in card["examples"]]
    outputs = session_of(built_examples, name).run(None, feeds(card, rows))
    expected = [example["prediction"] for example in card["examples"]]
    if card["task"] == "classification":
        assert outputs[0].tolist() == expected
        assert [example["class"] for example in card["examples"]] == [card["classes"][i] for i in expected]
    else:
        assert outputs[0].reshape(-1).tolist() == pytest.approx(expected, rel=1e-6)


def test_the_regressor_card_names_its_value_and_spreads_its_examples(built_examples):
    card = card_of(built_examples, "diabetes")
    assert card["task"] == "regression" and "classes" not in card
    assert card["tensors"]["outputs"] == [{"name": "variable", "datatype": "FP32", "shape": [-1, 1]}]
    assert card["value"]["target"] == "target" and card["value"]["min"] < card["value"]["max"]
    predictions = [example["prediction"] for example in card["examples"]]
    assert predictions == sorted(predictions) and len(set(predictions)) == 5
    assert card["metrics"]["r2"] >= 0.4 and card["gates"]["r2"]["passed"]


def test_the_mixed_example_takes_one_input_per_column_and_proves_unseen_categories(built_examples):
    card = card_of(built_examples, "churn")
    assert [(t["name"], t["datatype"]) for t in card["tensors"]["inputs"]] == [
        ("tenure_months", "FP32"), ("monthly_charges", "FP32"), ("support_calls", "FP32"),
        ("plan", "BYTES"), ("region", "BYTES")]
    assert "input" not in card["tensors"]
    columns = {column["name"]: column for column in card["feature_columns"]}
    assert columns["plan"]["categories"] == ["basic", "plus", "pro"]
    assert columns["plan"]["unseen"] == "answered"
    assert card["parity_region"]["categories"]["unseen"] == "answered"
    (probed,) = [s for s in card["gates"]["parity"]["sets"] if s["name"].startswith("every category")]
    # 3 plans + 4 regions, and an unseen value of each.
    assert probed["rows"] == 3 + 1 + 4 + 1 and probed["label_mismatches"] == 0
    assert card["estimator"]["steps"] == "Pipeline(ColumnTransformer, LogisticRegression)"


def test_an_unseen_category_gets_scikit_learns_answer(built_examples, repo_root):
    card = card_of(built_examples, "churn")
    spec = load_spec(repo_root / "models" / "examples" / "churn" / "churn.toml")
    trained = train(spec)
    row = list(card["examples"][0]["features"])
    row[3], row[4] = "enterprise", "moon"
    frame = trained.data.x_test.take(slice(0, 1)).for_estimator()
    frame.iloc[0] = row
    labels, probabilities = session_of(built_examples, "churn").run(None, feeds(card, [row]))
    assert labels.tolist() == trained.estimator.predict(frame).tolist()
    np.testing.assert_allclose(probabilities, trained.estimator.predict_proba(frame), atol=1e-5)


def test_a_pipeline_that_refuses_unseen_categories_is_recorded_as_refusing(tmp_path, repo_root):
    assert main(["build", "--spec", str(strict_churn(tmp_path, repo_root)), "--random-points", "2000"]) == EXIT_OK
    card = json.loads((tmp_path / "churn.json").read_text())
    assert card["parity_region"]["categories"]["unseen"] == "refused"
    (probed,) = [s for s in card["gates"]["parity"]["sets"] if s["name"].startswith("every category")]
    assert probed["rows"] == 3 + 4


def test_the_split_is_stratified_where_the_spec_says(repo_root):
    data = load_dataset(load_spec(repo_root / "models" / "examples" / "breast_cancer" / "breast_cancer.toml"))
    assert abs(data.y_train.mean() - data.y_test.mean()) < 0.01


def _spec_with(tmp_path, repo_root, old: str, new: str) -> Path:
    source = repo_root / "models" / "examples" / "churn"
    for name in ("churn.csv", "churn_pipeline.py"):
        shutil.copy(source / name, tmp_path / name)
    text = (source / "churn.toml").read_text()
    assert old in text
    (tmp_path / "churn.toml").write_text(text.replace(old, new))
    return tmp_path / "churn.toml"


@pytest.mark.parametrize(
    "old, new, message",
    [
        ('csv = "churn.csv"', 'csv = "absent.csv"', "absent.csv"),
        ('plan = "category"', 'plan = "category"\ncolour = "number"', "has no column 'colour'"),
        ('plan = "category"', 'plan = "number"', "'basic' is not a number"),
        ('factory = "churn_pipeline:build"', 'factory = "churn_pipeline:absent"', "has no function 'absent'"),
        ('factory = "churn_pipeline:build"', 'factory = "no_such_module:build"', "cannot import 'no_such_module'"),
        ('metric = "f1_macro"', 'metric = "mae"', "[gate] metric"),
        ('target = "churned"', 'target = "plan"', "'plan' is also listed as a feature"),
        ('target = "churned"', 'target = "absent"', "has no column 'absent'"),
    ],
)
def test_a_bad_example_spec_is_refused_naming_the_file_and_field(tmp_path, repo_root, capsys, old, new, message):
    spec = _spec_with(tmp_path, repo_root, old, new)
    code = main(["build", "--spec", str(spec), "--random-points", "100"])
    err = capsys.readouterr().err
    assert code in (EXIT_BAD_INPUT, 3), err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "churn.onnx").exists()


def test_a_step_skl2onnx_cannot_convert_is_named(tmp_path, repo_root, capsys):
    spec = _spec_with(tmp_path, repo_root, 'factory = "churn_pipeline:build"', 'factory = "odd:build"')
    (tmp_path / "odd.py").write_text(
        "from sklearn.compose import ColumnTransformer\n"
        "from sklearn.pipeline import Pipeline\n"
        "from sklearn.preprocessing import OneHotEncoder, SplineTransformer\n"
        "from sklearn.linear_model import LogisticRegression\n"
        "def build():\n"
        "    columns = ColumnTransformer([('c', OneHotEncoder(), ['plan', 'region']),"
        " ('n', SplineTransformer(), ['tenure_months'])])\n"
        "    return Pipeline([('columns', columns), ('model', LogisticRegression())])\n")
    assert main(["build", "--spec", str(spec), "--random-points", "100"]) == EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert "skl2onnx cannot convert Pipeline(ColumnTransformer, LogisticRegression)" in err
    assert "SplineTransformer" in err


def test_a_threshold_the_model_misses_is_the_gates_own_failure(tmp_path, repo_root, capsys):
    spec = _spec_with(tmp_path, repo_root, "threshold = 0.7", "threshold = 0.99")
    assert main(["build", "--spec", str(spec), "--random-points", "100"]) == EXIT_GATE_FAILED
    assert "f1_macro" in capsys.readouterr().out


def test_the_committed_churn_csv_is_what_its_seeded_script_writes(tmp_path, repo_root):
    source = repo_root / "models" / "examples" / "churn"
    shutil.copy(source / "make_churn_csv.py", tmp_path / "make_churn_csv.py")
    subprocess.run([sys.executable, str(tmp_path / "make_churn_csv.py")], check=True)
    assert (tmp_path / "churn.csv").read_bytes() == (source / "churn.csv").read_bytes()


@pytest.mark.parametrize("estimator", ["random_forest_regressor", "gradient_boosting_regressor"])
def test_every_builtin_regressor_passes_both_gates_on_the_regression_example(tmp_path, repo_root, estimator):
    spec = repo_root / "models" / "examples" / "diabetes" / "diabetes.toml"
    assert main(["build", "--spec", str(spec), "--estimator", estimator, "--out", str(tmp_path),
                 "--random-points", "2000"]) == EXIT_OK
    card = json.loads((tmp_path / "diabetes.json").read_text())
    assert card["estimator"]["name"] == estimator and card["gates"]["parity"]["passed"]
