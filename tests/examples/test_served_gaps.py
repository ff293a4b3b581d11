"""Missing values against a real gateway serving the loans examples: null (and NaN in
binary, "" for a category) is answered as scikit-learn answers a gap, in every format
a client can send one, counted per column; a model that takes no gap refuses it."""
import re

import httpx
import numpy as np
import orjson
import pytest

from export.rows import Rows
from export.spec import load_spec
from export.train import TrainedModel, train

GAP_EXAMPLES = ("loans", "loans_hgb")


def trained_example(repo_root, name: str) -> TrainedModel:
    return train(load_spec(repo_root / "models" / "examples" / name / f"{name}.toml"))


def gapped(rows: Rows, count: int) -> Rows:
    """`count` held-out rows, row i with a gap in column i mod n, then a row with every cell missing."""
    base = rows.take(np.arange(count))
    gaps = np.zeros((count, len(rows.schema.features)), dtype=bool)
    gaps[np.arange(count), np.arange(count) % gaps.shape[1]] = True
    gaps[-1, :] = True
    return base.with_gaps(gaps)


def assert_answers_as_scikit_learn(answer: dict, trained: TrainedModel, rows: Rows, card: dict) -> None:
    features = rows.for_estimator()
    expected = trained.estimator.predict(features)
    assert answer["predictions"] == expected.tolist()
    np.testing.assert_allclose(answer["probabilities"], trained.estimator.predict_proba(features),
                               atol=card["parity_region"]["probability_atol"], rtol=0)


@pytest.mark.parametrize("name", GAP_EXAMPLES)
def test_null_by_position_by_name_and_alone_is_answered_as_scikit_learn_answers_a_gap(repo_root, serve, name):
    card, gateway = serve(name)
    trained = trained_example(repo_root, name)
    rows = gapped(trained.data.x_test, 40)
    positional = [rows.row(i) for i in range(len(rows))]
    assert any(value is None for value in positional[0]) and all(value is None for value in positional[-1])
    by_position = httpx.post(f"{gateway.url}/predict", json={"instances": positional})
    assert by_position.status_code == 200, by_position.text
    assert_answers_as_scikit_learn(by_position.json(), trained, rows, card)
    named = [dict(zip(card["features"], row)) for row in positional]
    assert httpx.post(f"{gateway.url}/predict", json={"instances": named}).json() == by_position.json()
    # Below the bulk path's threshold the rows are walked: the same answers.
    few = httpx.post(f"{gateway.url}/predict", json={"instances": named[:2]}).json()
    assert few["predictions"] == by_position.json()["predictions"][:2]
    single = httpx.post(f"{gateway.url}/predict", json={"features": named[-1]})
    assert single.status_code == 200 and single.json()["prediction"] == by_position.json()["predictions"][-1]


def test_an_empty_category_is_the_same_gap_as_null(serve):
    card, gateway = serve("loans")
    row = dict(zip(card["features"], card["examples"][0]["features"]))
    answers = [httpx.post(f"{gateway.url}/predict", json={"features": {**row, "employment": value}}).json()
               for value in (None, "")]
    assert answers[0] == answers[1] and "prediction" in answers[0]


def v2_inputs(card: dict, rows: Rows) -> list[dict]:
    """One tensor per column, null for a gap, as JSON."""
    values = [rows.row(i) for i in range(len(rows))]
    return [{"name": tensor["name"], "datatype": tensor["datatype"], "shape": [len(values), 1],
             "data": [row[position] for row in values]} for position, tensor in enumerate(card["tensors"]["inputs"])]


def test_v2_json_null_and_binary_nan_get_the_answers_predict_gives(repo_root, serve):
    card, gateway = serve("loans")
    trained = trained_example(repo_root, "loans")
    rows = gapped(trained.data.x_test, 12)
    url = f"{gateway.url}/v2/models/{card['name']}/infer"
    as_json = httpx.post(url, json={"inputs": v2_inputs(card, rows)})
    assert as_json.status_code == 200, as_json.text
    probabilities = next(o for o in as_json.json()["outputs"] if o["name"] == "probabilities")
    np.testing.assert_allclose(np.array(probabilities["data"]).reshape(len(rows), -1),
                               trained.estimator.predict_proba(rows.for_estimator()),
                               atol=card["parity_region"]["probability_atol"], rtol=0)
    # The same rows with every tensor in binary: NaN for a missing number, "" for a missing category.
    inputs, blobs = [], []
    for tensor in v2_inputs(card, rows):
        values = tensor.pop("data")
        if tensor["datatype"] == "FP32":
            blob = np.array([np.nan if v is None else v for v in values], dtype="<f4").tobytes()
        else:
            encoded = [(v or "").encode() for v in values]
            blob = b"".join(len(v).to_bytes(4, "little") + v for v in encoded)
        tensor["parameters"] = {"binary_data_size": len(blob)}
        blobs.append(blob)
        inputs.append(tensor)
    header = orjson.dumps({"inputs": inputs, "parameters": {"binary_data_output": False}})
    binary = httpx.post(url, content=header + b"".join(blobs), headers={
        "content-type": "application/octet-stream", "inference-header-content-length": str(len(header))})
    assert binary.status_code == 200, binary.text
    assert binary.json()["outputs"] == as_json.json()["outputs"]


def test_missing_cells_are_counted_per_column_in_metrics(serve):
    card, gateway = serve("loans")
    row = list(card["examples"][0]["features"])
    rows = [[None, *row[1:]], [None, None, *row[2:]], row]
    assert httpx.post(f"{gateway.url}/predict", json={"instances": rows}).status_code == 200
    metrics = httpx.get(f"{gateway.admin_url}/metrics").text
    counted = {match[0]: float(match[1]) for match in
               re.findall(r'^gateway_missing_cells_total\{column="([^"]+)"\} (\S+)$', metrics, re.MULTILINE)}
    assert counted == {card["features"][0]: 2.0, card["features"][1]: 1.0}


@pytest.mark.parametrize(("name", "body"), [
    ("null by position", {"features": [5.1, None, 1.4, 0.2]}),
    ("null by name", {"instances": [{"sepal length (cm)": 5.1, "sepal width (cm)": None,
                                     "petal length (cm)": 1.4, "petal width (cm)": 0.2}] * 5}),
])
def test_a_model_that_takes_no_gap_refuses_null_naming_the_column(start_gateway, name, body):
    gateway = start_gateway()
    response = httpx.post(f"{gateway.url}/predict", json=body)
    assert response.status_code == 400
    assert response.json()["error"].startswith("sepal width (cm) is missing (null, or NaN in a binary tensor)")
    infer = httpx.post(f"{gateway.url}/v2/models/iris/infer", json={"inputs": [
        {"name": "input", "datatype": "FP32", "shape": [1, 4], "data": [5.1, 3.5, None, 0.2]}]})
    assert infer.status_code == 400 and "petal length (cm) is missing" in infer.json()["error"]
    assert httpx.get(f"{gateway.url}/health").status_code == 200


def test_an_omitted_key_is_still_a_400(serve):
    card, gateway = serve("loans")
    row = dict(zip(card["features"], card["examples"][0]["features"]))
    del row["age"]
    response = httpx.post(f"{gateway.url}/predict", json={"features": row})
    assert response.status_code == 400 and "lacks feature age" in response.json()["error"]
