"""tritonclient round trips (JSON and the binary extension) against the served examples:
one BYTES tensor per category column for the mixed example, a regressor's FP32 value."""
import json

import httpx
import numpy as np
import pytest
import tritonclient.http as triton

from export.spec import load_spec
from export.train import train

ROWS = 40


@pytest.fixture
def client_for(built_examples, start_gateway):
    """(the card, a tritonclient, the gateway) for a served example."""
    clients = []

    def start(name: str):
        folder = built_examples[name]
        gateway = start_gateway(model_path=str(folder / f"{name}.onnx"), card_path=str(folder / f"{name}.json"))
        client = triton.InferenceServerClient(f"127.0.0.1:{gateway.port}")
        clients.append(client)
        return json.loads((folder / f"{name}.json").read_text()), client, gateway

    yield start
    for client in clients:
        client.close()


def held_out_rows(repo_root, name: str):
    trained = train(load_spec(repo_root / "models" / "examples" / name / f"{name}.toml"))
    rows = trained.data.x_test.take(slice(0, ROWS))
    return trained, rows


def column_inputs(card: dict, rows, binary: bool) -> list[triton.InferInput]:
    """One [ROWS, 1] tensor per column, as the card's tensors say."""
    tensors = []
    numbers, strings = iter(rows.numbers.T), iter(rows.categories.T)
    for spec in card["tensors"]["inputs"]:
        if spec["datatype"] == "FP32":
            values = np.ascontiguousarray(next(numbers).reshape(-1, 1), dtype=np.float32)
        else:
            values = np.array([value.encode() for value in next(strings)], dtype=np.object_).reshape(-1, 1)
        tensor = triton.InferInput(spec["name"], [len(rows), 1], spec["datatype"])
        tensor.set_data_from_numpy(values, binary_data=binary)
        tensors.append(tensor)
    return tensors


@pytest.mark.parametrize("binary", [False, True])
def test_the_mixed_example_round_trips_with_bytes_tensors(repo_root, client_for, binary):
    card, client, gateway = client_for("churn")
    metadata = client.get_model_metadata("churn")
    assert [(t["name"], t["datatype"]) for t in metadata["inputs"]] == [
        (t["name"], t["datatype"]) for t in card["tensors"]["inputs"]]
    assert any(t["datatype"] == "BYTES" for t in metadata["inputs"])
    trained, rows = held_out_rows(repo_root, "churn")
    outputs = [triton.InferRequestedOutput(name, binary_data=binary) for name in ("label", "probabilities")]
    result = client.infer("churn", column_inputs(card, rows, binary), outputs=outputs)
    expected = trained.estimator.predict(rows.for_estimator())
    np.testing.assert_array_equal(result.as_numpy("label"), expected)
    np.testing.assert_allclose(result.as_numpy("probabilities"), trained.estimator.predict_proba(rows.for_estimator()),
                               atol=card["gates"]["parity"]["probability_atol"], rtol=0)
    predict = httpx.post(f"{gateway.url}/predict", json={"instances": [rows.row(i) for i in range(len(rows))]}).json()
    assert result.as_numpy("label").tolist() == predict["predictions"]


@pytest.mark.parametrize("binary", [False, True])
def test_the_regressor_round_trips_its_value(repo_root, client_for, binary):
    card, client, gateway = client_for("diabetes")
    assert [(t["name"], t["datatype"]) for t in client.get_model_metadata("diabetes")["outputs"]] == [
        ("variable", "FP32")]
    trained, rows = held_out_rows(repo_root, "diabetes")
    tensor = triton.InferInput("input", list(rows.numbers.shape), "FP32")
    tensor.set_data_from_numpy(rows.numbers, binary_data=binary)
    result = client.infer("diabetes", [tensor], outputs=[triton.InferRequestedOutput("variable", binary_data=binary)])
    values = result.as_numpy("variable")
    assert values.shape == (ROWS, 1)
    region = card["parity_region"]
    np.testing.assert_allclose(values.reshape(-1), trained.estimator.predict(rows.for_estimator()),
                               atol=region["value_rtol"] * region["value_scale"], rtol=0)
    predict = httpx.post(f"{gateway.url}/predict", json={"instances": rows.numbers.tolist()}).json()
    np.testing.assert_allclose(values.reshape(-1), predict["predictions"], rtol=1e-6)


@pytest.mark.parametrize("binary", [False, True])
def test_the_wide_classifier_round_trips(repo_root, client_for, binary):
    card, client, _ = client_for("breast_cancer")
    assert client.get_model_metadata("breast_cancer")["inputs"] == [
        {"name": "input", "datatype": "FP32", "shape": [-1, 30]}]
    trained, rows = held_out_rows(repo_root, "breast_cancer")
    tensor = triton.InferInput("input", list(rows.numbers.shape), "FP32")
    tensor.set_data_from_numpy(rows.numbers, binary_data=binary)
    outputs = [triton.InferRequestedOutput(name, binary_data=binary) for name in ("label", "probabilities")]
    result = client.infer("breast_cancer", [tensor], outputs=outputs)
    np.testing.assert_array_equal(result.as_numpy("label"), trained.estimator.predict(rows.numbers))
    np.testing.assert_allclose(result.as_numpy("probabilities"), trained.estimator.predict_proba(rows.numbers),
                               atol=card["gates"]["parity"]["probability_atol"], rtol=0)
