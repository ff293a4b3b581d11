"""Each shipped example end to end: its spec, `make model`, a served gateway, and
answers equal to scikit-learn's on the held-out split."""
import json
import subprocess
import sys

import httpx
import numpy as np
import pytest

from export.spec import load_spec
from export.train import train
from export.cli import EXIT_OK, main
from tests.support import EXAMPLES
from tests.specs import strict_churn


def held_out(repo_root, name: str):
    trained = train(load_spec(repo_root / "models" / "examples" / name / f"{name}.toml"))
    rows = trained.data.x_test
    return trained, rows, [rows.row(i) for i in range(len(rows))]


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_served_example_answers_the_held_out_split_as_scikit_learn_does(repo_root, serve, name):
    card, gateway = serve(name)
    trained, rows, positional = held_out(repo_root, name)
    response = httpx.post(f"{gateway.url}/predict", json={"instances": positional})
    assert response.status_code == 200, response.text
    answer = response.json()
    region = card["parity_region"]
    if card["task"] == "regression":
        expected = trained.estimator.predict(rows.for_estimator())
        tolerance = region["value_rtol"] * region["value_scale"]
        np.testing.assert_allclose(answer["predictions"], expected, atol=tolerance, rtol=0)
        return
    expected = trained.estimator.predict(rows.for_estimator())
    assert answer["predictions"] == expected.tolist()
    np.testing.assert_allclose(answer["probabilities"], trained.estimator.predict_proba(rows.for_estimator()),
                               atol=region["probability_atol"], rtol=0)
    assert answer["class_names"] == [card["classes"][label] for label in expected]


@pytest.mark.parametrize("name", EXAMPLES)
def test_rows_by_name_get_the_answers_rows_by_position_get(repo_root, serve, name):
    card, gateway = serve(name)
    _, _, positional = held_out(repo_root, name)
    named = [dict(zip(card["features"], row)) for row in positional[:20]]
    by_position = httpx.post(f"{gateway.url}/predict", json={"instances": positional[:20]}).json()
    by_name = httpx.post(f"{gateway.url}/predict", json={"instances": named}).json()
    assert by_name == by_position
    single = httpx.post(f"{gateway.url}/predict", json={"features": named[0]})
    assert single.status_code == 200 and single.json()["prediction"] == by_position["predictions"][0]


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_smoke_test_passes_against_the_served_example(repo_root, serve, built_examples, name):
    _, gateway = serve(name)
    card_path = built_examples[name] / f"{name}.json"
    result = subprocess.run(
        [sys.executable, str(repo_root / ".ci" / "smoke.py"), gateway.url, "--card", str(card_path)],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"of {name}'s card answered as it says" in result.stdout


def test_the_mixed_example_names_the_column_a_bad_value_is_in(serve):
    card, gateway = serve("churn")
    row = list(card["examples"][0]["features"])
    for position, wrong, message in [
        (3, 7, "position 3 (plan) must be a string (a category), got a number"),
        (0, "twelve", "position 0 (tenure_months) must be a number, got a string"),
    ]:
        bad = list(row)
        bad[position] = wrong
        response = httpx.post(f"{gateway.url}/predict", json={"features": bad})
        assert response.status_code == 400 and message in response.json()["error"], response.text
    unknown = httpx.post(f"{gateway.url}/predict", json={"features": {"colour": "red"}})
    assert unknown.status_code == 400
    assert "unknown feature 'colour'; the features are tenure_months" in unknown.json()["error"]


def test_unseen_categories_are_answered_and_counted(serve):
    card, gateway = serve("churn")
    row = list(card["examples"][0]["features"])
    row[3] = "enterprise"
    response = httpx.post(f"{gateway.url}/predict", json={"instances": [row, row]})
    assert response.status_code == 200, response.text
    metrics = httpx.get(f"{gateway.admin_url}/metrics").text
    assert "gateway_unseen_category_rows_total 2.0" in metrics


def test_the_regressor_is_counted_in_its_value_histogram(serve):
    card, gateway = serve("diabetes")
    rows = [example["features"] for example in card["examples"]]
    assert httpx.post(f"{gateway.url}/predict", json={"instances": rows}).status_code == 200
    metrics = httpx.get(f"{gateway.admin_url}/metrics").text
    assert f"gateway_predicted_values_count {float(len(rows))}" in metrics


def test_a_model_that_refuses_unseen_categories_is_served_refusing_them(repo_root, tmp_path, start_gateway):
    spec = strict_churn(tmp_path, repo_root)
    assert main(["build", "--spec", str(spec), "--random-points", "2000"]) == EXIT_OK
    card = json.loads((tmp_path / "churn.json").read_text())
    gateway = start_gateway(model_path=str(tmp_path / "churn.onnx"), card_path=str(tmp_path / "churn.json"))
    row = list(card["examples"][0]["features"])
    assert httpx.post(f"{gateway.url}/predict", json={"features": row}).status_code == 200
    row[3] = "enterprise"
    refused = httpx.post(f"{gateway.url}/predict", json={"instances": [card["examples"][0]["features"], row]})
    assert refused.status_code == 400
    assert refused.json()["error"] == ("row 1: plan 'enterprise' was never seen in training, and this model refuses"
                                       " unseen categories; plan is one of basic, plus, pro")
