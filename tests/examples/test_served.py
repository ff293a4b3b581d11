"""Each shipped example end to end: its spec, `make model`, a served gateway, and answers equal to scikit-learn's."""
import json
import subprocess
import sys

import httpx
import numpy as np
import pytest

from export.spec import load_spec
from export.train import train

# The examples the gateway serves today: numbers in one FP32 input, a classifier.
SERVED = ("breast_cancer",)


@pytest.mark.parametrize("name", SERVED)
def test_the_served_example_answers_the_held_out_split_as_scikit_learn_does(
    repo_root, built_examples, start_gateway, name
):
    folder = built_examples[name]
    card = json.loads((folder / f"{name}.json").read_text())
    trained = train(load_spec(repo_root / "models" / "examples" / name / f"{name}.toml"))
    rows = trained.data.x_test
    gateway = start_gateway(model_path=str(folder / f"{name}.onnx"), card_path=str(folder / f"{name}.json"))
    response = httpx.post(f"{gateway.url}/predict", json={"instances": [rows.row(i) for i in range(len(rows))]})
    assert response.status_code == 200, response.text
    answer = response.json()
    expected = trained.estimator.predict(rows.for_estimator())
    assert answer["predictions"] == expected.tolist()
    tolerance = card["gates"]["parity"]["probability_atol"]
    np.testing.assert_allclose(answer["probabilities"], trained.estimator.predict_proba(rows.for_estimator()),
                               atol=tolerance, rtol=0)
    assert answer["class_names"] == [card["classes"][label] for label in expected]


@pytest.mark.parametrize("name", SERVED)
def test_the_smoke_test_passes_against_the_served_example(repo_root, built_examples, start_gateway, name):
    folder = built_examples[name]
    gateway = start_gateway(model_path=str(folder / f"{name}.onnx"), card_path=str(folder / f"{name}.json"))
    result = subprocess.run(
        [sys.executable, str(repo_root / ".ci" / "smoke.py"), gateway.url, "--card", str(folder / f"{name}.json")],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"of {name}'s card answered as it says" in result.stdout
