"""A bad spec stops with an error naming the file and the field, never a traceback."""
from pathlib import Path

import pytest

from export.spec import SpecError, load_spec

GOOD = """
[model]
name = "m"
task = "classification"
[data]
sklearn = "iris"
[estimator]
builtin = "logistic_regression"
[gate]
metric = "accuracy"
threshold = 0.9
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(text)
    return path


def test_a_minimal_spec_gets_the_documented_defaults(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert (spec.split.test_size, spec.split.seed, spec.split.stratify) == (0.2, 42, False)
    assert (spec.gate.tolerance, spec.gate.margin, spec.version) == (1e-5, 0.0, "1")
    assert spec.data.features is None and spec.data.target == "target"


def test_the_committed_iris_spec_loads(repo_root):
    spec = load_spec(repo_root / "models" / "iris.toml")
    assert (spec.name, spec.task, spec.data.sklearn, spec.estimator.builtin) == (
        "iris", "classification", "iris", "logistic_regression")


@pytest.mark.parametrize(
    "old, new, where",
    [
        ('name = "m"', 'name = "../m"', r"\[model\] name"),
        ('task = "classification"', 'task = "ranking"', r"\[model\] task"),
        ('sklearn = "iris"', 'sklearn = "mnist"', r"\[data\] sklearn: unknown dataset 'mnist'"),
        ('sklearn = "iris"', 'sklearn = "diabetes"', r"\[data\] sklearn: diabetes is a regression data set"),
        ('sklearn = "iris"', 'csv = "x.csv"', r"\[data\] features: a CSV needs"),
        ('sklearn = "iris"', 'sklearn = "iris"\ncsv = "x.csv"', r"\[data\] sklearn: name exactly one source"),
        ('builtin = "logistic_regression"', 'factory = "not a factory"', r"\[estimator\] factory: must read"),
        ('metric = "accuracy"', 'metric = "r2"', r"\[gate\] metric: a classification model is judged by"),
        ("threshold = 0.9", "threshold = 1.5", r"\[gate\] threshold: must be a finite number in"),
        ("threshold = 0.9", 'threshold = "high"', r"\[gate\] threshold: must be a number"),
        ("threshold = 0.9", "", r"\[gate\] threshold: is required"),
        ("[gate]", "[gate]\ncolour = 1", r"\[gate\] colour: is not a field"),
        ("[model]", "[split]\nstratify = 1\n[model]", r"\[split\] stratify: must be true or false"),
        ("[model]", "[split]\nseed = 1.5\n[model]", r"\[split\] seed: must be an integer"),
        ("[model]", "[split]\ntest_size = 0\n[model]", r"\[split\] test_size"),
        ('[estimator]', '[data.features]\nx = "text"\n[estimator]', r"\[data.features\] x: kind must be one of"),
    ],
)
def test_a_bad_field_is_named_with_the_file(tmp_path, old, new, where):
    assert old in GOOD
    path = write(tmp_path, GOOD.replace(old, new, 1))
    with pytest.raises(SpecError, match=rf"^{tmp_path / 'm.toml'}: {where}"):
        load_spec(path)


def test_toml_that_does_not_parse_names_the_file(tmp_path):
    with pytest.raises(SpecError, match=r"m\.toml: TOML: "):
        load_spec(write(tmp_path, "[model\nname ="))
