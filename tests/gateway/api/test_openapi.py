import hashlib
import json

import numpy as np
import pytest
from openapi_spec_validator import validate
from skl2onnx import convert_sklearn
from skl2onnx.common.data_types import FloatTensorType
from sklearn.linear_model import LogisticRegression
from starlette.routing import Route
from tests.support import ONE_ROW

HTTP_METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


def routes_of(client) -> dict[str, set[str]]:
    starlette = client.app.app
    return {route.path: set(route.methods) - {"HEAD"} for route in starlette.routes if isinstance(route, Route)}


def test_document_is_valid_openapi_3(client):
    document = client.get("/openapi.json").json()
    validate(document)
    assert document["openapi"].startswith("3.")


def test_document_describes_exactly_the_real_routes(client):
    document = client.get("/openapi.json").json()
    documented = {
        path: {method.upper() for method in item if method in HTTP_METHODS} for path, item in document["paths"].items()
    }
    assert documented == routes_of(client)


def test_every_error_response_carries_an_error_message(client):
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in HTTP_METHODS:
                continue
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    reference = response["content"]["application/json"]["schema"]["$ref"]
                    schema = schemas[reference.rsplit("/", 1)[-1]]
                    assert "error" in schema["required"], (path, method, status)


def test_documented_predict_response_matches_a_real_one(client):
    document = client.get("/openapi.json").json()
    required = document["components"]["schemas"]["Prediction"]["required"]
    body = client.post("/predict", json=ONE_ROW).json()
    assert set(required) == set(body)


@pytest.fixture
def other_model(tmp_path):
    """A 3-feature, 5-class model and its card, built here: not Iris's shapes."""
    rng = np.random.default_rng(0)
    y = np.arange(200) % 5
    x = (rng.normal(size=(200, 3)) + 3 * rng.normal(size=(5, 3))[y]).astype(np.float32)
    estimator = LogisticRegression(max_iter=500).fit(x, y)
    model = convert_sklearn(
        estimator, name="other", initial_types=[("input", FloatTensorType([None, 3]))],
        target_opset={"": 17, "ai.onnx.ml": 3}, options={id(estimator): {"zipmap": False}},
    )
    payload = model.SerializeToString()
    (tmp_path / "other.onnx").write_bytes(payload)
    low, high = x.min(axis=0).tolist(), x.max(axis=0).tolist()
    card = {
        "schema_version": 2, "name": "other", "version": "7", "onnx": {"sha256": hashlib.sha256(payload).hexdigest()},
        "features": ["a", "b", "c"], "classes": ["k0", "k1", "k2", "k3", "k4"],
        "feature_columns": [{"name": name, "kind": "number"} for name in "abc"],
        "feature_range": {"min": low, "max": high},
        "parity_region": {"box": {"min": low, "max": high}},
        "tensors": {
            "input": {"name": "input", "datatype": "FP32", "shape": [-1, 3]},
            "inputs": [{"name": "input", "datatype": "FP32", "shape": [-1, 3]}],
            "outputs": [{"name": "label", "datatype": "INT64", "shape": [-1]},
                        {"name": "probabilities", "datatype": "FP32", "shape": [-1, 5]}],
        },
    }
    (tmp_path / "other.json").write_text(json.dumps(card))
    return tmp_path / "other.onnx", tmp_path / "other.json"


def test_the_document_describes_the_model_being_served(make_client, other_model):
    model_path, card_path = other_model
    client = make_client(model_path=model_path, card_path=card_path)
    document = client.get("/openapi.json").json()
    validate(document)
    schemas = document["components"]["schemas"]
    positional, named = schemas["PredictRequest"]["properties"]["features"]["anyOf"]
    assert (positional["minItems"], positional["maxItems"]) == (3, 3)
    assert positional["description"] == "a (number), b (number), c (number)"
    assert named["required"] == ["a", "b", "c"] and named["additionalProperties"] is False
    assert len(positional["example"]) == 3
    assert schemas["Prediction"]["properties"]["prediction"]["maximum"] == 4
    assert schemas["Prediction"]["properties"]["class_name"]["enum"] == ["k0", "k1", "k2", "k3", "k4"]
    assert schemas["Prediction"]["properties"]["probabilities"]["maxItems"] == 5
    inputs = schemas["V2InferRequest"]["properties"]["inputs"]["items"]["properties"]
    assert inputs["name"]["enum"] == ["input"]
    model_name = document["paths"]["/v2/models/{model_name}"]["parameters"][0]
    assert model_name["example"] == "other"
    # And the documented example really is answered by that model.
    answer = client.post("/predict", json=schemas["PredictRequest"]["example"])
    assert answer.status_code == 200 and answer.json()["class_name"] in ["k0", "k1", "k2", "k3", "k4"]


def _named_examples(document: dict, path: str) -> dict:
    return document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["examples"]


def test_named_examples_are_each_class_and_are_answered_so(client, admin_url):
    """The examples /docs offers in "Try it out", from the card's typical rows."""
    document = client.get("/openapi.json").json()
    classes = client.get(f"{admin_url}/model").json()["classes"]
    predict = _named_examples(document, "/predict")
    one = client.post("/predict", json=predict["one_row"]["value"]).json()
    assert one["class_name"] == classes[0]
    batch = client.post("/predict", json=predict["batch"]["value"]).json()
    assert batch["class_names"] == classes
    assert client.post("/predict", json=predict["by_name"]["value"]).json() == one
    infer = _named_examples(document, "/v2/models/{model_name}/infer")
    for name, labels in (("one_row", [0]), ("batch", list(range(len(classes))))):
        answer = client.post("/v2/models/iris/infer", json=infer[name]["value"]).json()
        label = next(output for output in answer["outputs"] if output["name"] == "label")
        assert label["data"] == labels, name


def test_a_card_without_examples_falls_back_to_the_middle_of_the_range(make_client, other_model):
    model_path, card_path = other_model
    assert "examples" not in json.loads(card_path.read_text())
    document = make_client(model_path=model_path, card_path=card_path).get("/openapi.json").json()
    predict = _named_examples(document, "/predict")
    assert "middle of the training range" in predict["one_row"]["summary"]
    assert len(predict["one_row"]["value"]["features"]) == 3
