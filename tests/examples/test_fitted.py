"""A model already fitted, as users have one: the original project's pickle in, a
proven ONNX model out, served answering as the pickle does; never refitted."""
import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import httpx
import joblib
import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

from export.cli import EXIT_BAD_INPUT, EXIT_OK, main
from export.convert import serialize, to_onnx
from export.pipeline import GateOptions, build, run_gates
from export.spec import SpecError, load_spec
from export.train import train

EXAMPLE = Path("models") / "examples" / "iris_pickle"
OPTIONS = GateOptions(random_points=2000)
# The row of the issue that found a factory's joblib.load(...) silently refitted.
ROW = [5.9, 3.0, 4.2, 1.5]


def example_copy(repo_root: Path, folder: Path) -> Path:
    """The example's spec and pickle in `folder`: its spec's path."""
    for name in ("iris_pickle.toml", "iris_model.pkl"):
        shutil.copy(repo_root / EXAMPLE / name, folder / name)
    return folder / "iris_pickle.toml"


def test_the_original_pickle_is_served_answering_as_the_pickle_does(repo_root, tmp_path, start_gateway):
    subprocess.run(["make", "--no-print-directory", "model", f"SPEC={EXAMPLE}/iris_pickle.toml",
                    f"MODEL_DIR={tmp_path}"], cwd=repo_root, check=True, capture_output=True, timeout=600)
    card = json.loads((tmp_path / "iris_pickle.json").read_text())
    pickle = joblib.load(repo_root / EXAMPLE / "iris_model.pkl")
    assert card["estimator"]["fitted"]["file"] == "iris_model.pkl"
    assert card["estimator"]["fitted"]["sha256"] == hashlib.sha256(
        (repo_root / EXAMPLE / "iris_model.pkl").read_bytes()).hexdigest()
    assert "fit" not in card["estimator"] and card["metrics"]["accuracy_measured_on"] == "onnxruntime, test split"
    gateway = start_gateway(model_path=str(tmp_path / "iris_pickle.onnx"), card_path=str(tmp_path / "iris_pickle.json"))
    answer = httpx.post(f"{gateway.url}/predict", json={"features": ROW}).json()
    assert answer["prediction"] == int(pickle.predict([ROW])[0])
    np.testing.assert_allclose(answer["probabilities"], pickle.predict_proba([ROW])[0], atol=1e-5, rtol=0)
    rows = load_iris().data.astype(np.float32)
    batch = httpx.post(f"{gateway.url}/predict", json={"instances": rows.tolist()}).json()
    assert batch["predictions"] == pickle.predict(rows).tolist()
    np.testing.assert_allclose(batch["probabilities"], pickle.predict_proba(rows), atol=1e-5, rtol=0)


def test_a_factory_returning_a_fitted_model_is_refused_pointing_to_fitted(repo_root, tmp_path):
    """The trap the issue found: `joblib.load(...)` in a factory was fitted again, and the
    gates proved a model nobody asked for."""
    spec = example_copy(repo_root, tmp_path)
    (tmp_path / "loaded.py").write_text("import joblib\n\n\ndef build():\n"
                                        f"    return joblib.load({str(tmp_path / 'iris_model.pkl')!r})\n")
    spec.write_text(spec.read_text().replace('fitted = "iris_model.pkl"', 'factory = "loaded:build"')
                    .replace('held_out = "test_split"', ""))
    with pytest.raises(SpecError, match=r'already fitted LogisticRegression.*fitted = "model.pkl"'):
        train(load_spec(spec))


@pytest.mark.parametrize(("model", "message"), [
    (LogisticRegression().fit(load_iris().data[:, :3], load_iris().target), "fitted on 3 features; the spec has 4"),
    (LogisticRegression(), "is not fitted"),
    ({"weights": [1, 2]}, "holds a dict, not a fitted model"),
])
def test_a_file_that_does_not_fit_the_spec_is_refused_naming_why(repo_root, tmp_path, model, message):
    spec = example_copy(repo_root, tmp_path)
    joblib.dump(model, tmp_path / "iris_model.pkl")
    with pytest.raises(SpecError, match=message):
        train(load_spec(spec))


def test_feature_names_must_match_the_spec(repo_root, tmp_path):
    import pandas

    iris = load_iris(as_frame=True)
    renamed = iris.data.rename(columns={"petal width (cm)": "petal_width"})
    spec = example_copy(repo_root, tmp_path)
    joblib.dump(LogisticRegression(max_iter=500).fit(pandas.DataFrame(renamed), iris.target),
                tmp_path / "iris_model.pkl")
    with pytest.raises(SpecError, match="fitted on the columns .*petal_width; the spec lists"):
        train(load_spec(spec))


def test_without_held_out_data_the_quality_figure_says_the_model_may_have_seen_it(repo_root, tmp_path, capsys):
    spec = example_copy(repo_root, tmp_path)
    spec.write_text(spec.read_text().replace('held_out = "test_split"', ""))
    assert main(["build", "--spec", str(spec), "--out", str(tmp_path), "--random-points", "2000"]) == EXIT_OK
    assert "may have seen" in capsys.readouterr().out
    card = json.loads((tmp_path / "iris_pickle.json").read_text())
    assert "may have seen" in card["metrics"]["accuracy_measured_on"]
    assert card["gates"]["accuracy"]["held_out"] is False


def test_make_gates_re_proves_from_the_same_file_and_refuses_a_changed_one(repo_root, tmp_path, capsys):
    spec = example_copy(repo_root, tmp_path)
    assert build(spec, tmp_path, options=OPTIONS).passed
    card = str(tmp_path / "iris_pickle.json")
    assert main(["gates", "--card", card, "--random-points", "2000"]) == EXIT_OK
    other = LogisticRegression(max_iter=500, C=0.01).fit(load_iris().data, load_iris().target)
    joblib.dump(other, tmp_path / "iris_model.pkl")
    capsys.readouterr()
    assert main(["gates", "--card", card, "--random-points", "2000"]) == EXIT_BAD_INPUT
    assert "iris_model.pkl changed since" in capsys.readouterr().err


def test_the_gates_prove_the_pickle_not_a_refit(repo_root, tmp_path):
    """The ONNX model of another fit fails the parity gate against the pickle: the gate
    compares with the loaded object, not with whatever a refit would give."""
    spec = example_copy(repo_root, tmp_path)
    refit = LogisticRegression(max_iter=200).fit(load_iris().data, load_iris().target)  # all 150 rows
    joblib.dump(refit, tmp_path / "refit.pkl")
    spec.with_name("refit.toml").write_text(spec.read_text().replace("iris_model.pkl", "refit.pkl"))
    refit_onnx = serialize(to_onnx(train(load_spec(spec.with_name("refit.toml")))))
    original = train(load_spec(spec))
    _, parity, _, _, _ = run_gates(original, refit_onnx, None, original.spec.gate, 2000)
    assert not parity.passed
    assert run_gates(original, serialize(to_onnx(original)), None, original.spec.gate, 2000)[1].passed


def test_a_skops_file_is_served_as_the_pickle_is(repo_root, tmp_path):
    import skops.io as sio

    spec = example_copy(repo_root, tmp_path)
    sio.dump(joblib.load(tmp_path / "iris_model.pkl"), tmp_path / "iris_model.skops")
    spec.write_text(spec.read_text().replace("iris_model.pkl", "iris_model.skops"))
    outcome = build(spec, tmp_path, options=OPTIONS)
    assert outcome.passed
    assert outcome.card["estimator"]["fitted"]["loader"] == "skops"
    (tmp_path / "pickled").mkdir()
    pickled = build(example_copy(repo_root, tmp_path / "pickled"), tmp_path / "pickled", options=OPTIONS)
    assert outcome.card["onnx"]["sha256"] == pickled.card["onnx"]["sha256"]  # the same model, the same graph


CUSTOM = "from sklearn.linear_model import LogisticRegression\n\n\nclass HouseModel(LogisticRegression):\n    pass\n"


def test_a_skops_file_asking_for_an_untrusted_type_is_refused_until_the_spec_trusts_it(
        repo_root, tmp_path, monkeypatch):
    import skops.io as sio

    (tmp_path / "house.py").write_text(CUSTOM)
    monkeypatch.syspath_prepend(str(tmp_path))
    from house import HouseModel

    spec = example_copy(repo_root, tmp_path)
    sio.dump(HouseModel(max_iter=500).fit(load_iris().data, load_iris().target), tmp_path / "house.skops")
    text = spec.read_text().replace('fitted = "iris_model.pkl"', 'fitted = "house.skops"')
    spec.write_text(text)
    with pytest.raises(SpecError, match=r"asks to load types skops does not trust by default: house\.HouseModel"):
        train(load_spec(spec))
    spec.write_text(text.replace('held_out = "test_split"', 'held_out = "test_split"\ntrusted = ["house.HouseModel"]'))
    assert type(train(load_spec(spec)).estimator).__name__ == "HouseModel"


class _Marker:
    """A pickle that, loaded, creates a file: what a hostile file can do."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self):
        return (Path.touch, (self.path,))


def test_make_gates_refuses_a_changed_file_before_loading_it(repo_root, tmp_path, capsys):
    spec = example_copy(repo_root, tmp_path)
    assert build(spec, tmp_path, options=OPTIONS).passed
    marker = tmp_path / "the pickle ran"
    joblib.dump(_Marker(marker), tmp_path / "iris_model.pkl")
    capsys.readouterr()
    assert main(["gates", "--card", str(tmp_path / "iris_pickle.json"), "--random-points", "2000"]) == EXIT_BAD_INPUT
    assert "it was not loaded" in capsys.readouterr().err
    assert not marker.exists()


def test_a_fitted_model_of_the_other_task_is_refused_naming_it(repo_root, tmp_path):
    spec = example_copy(repo_root, tmp_path)
    from sklearn.linear_model import LinearRegression

    joblib.dump(LinearRegression().fit(load_iris().data, load_iris().target), tmp_path / "iris_model.pkl")
    with pytest.raises(SpecError, match=r"LinearRegression in .* is not a classification model \(\[model\] task\)"):
        train(load_spec(spec))
