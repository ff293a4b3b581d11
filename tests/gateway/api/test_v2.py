"""The v2 routes through the app, checked against the vendored upstream schemas."""
from pathlib import Path

import jsonschema
import numpy as np
import orjson
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from tests.support import ORIGINAL_ROW

SPEC = Path(__file__).resolve().parents[1] / "specs" / "open-inference-protocol" / "open_inference_rest.yaml"
ROWS = [list(ORIGINAL_ROW), [6.7, 3.0, 5.2, 2.3], [5.9, 3.0, 4.2, 1.5]]


@pytest.fixture(scope="module")
def upstream():
    """Validate a JSON value against a component schema of the upstream YAML."""
    document = yaml.safe_load(SPEC.read_text())
    # OpenAPI 3.0 schemas are (close to) JSON Schema draft 4.
    registry = Registry().with_resource("urn:oip", Resource.from_contents(document, default_specification=DRAFT4))

    def check(value, component: str) -> None:
        schema = {"$ref": f"urn:oip#/components/schemas/{component}"}
        jsonschema.Draft4Validator(schema, registry=registry).validate(value)

    return check


def infer_json(rows, **extra):
    return {"inputs": [{"name": "input", "shape": [len(rows), 4], "datatype": "FP32", "data": rows}], **extra}


def binary_body(rows: np.ndarray, size: int | None = None, **extra) -> tuple[bytes, int]:
    payload = rows.astype("<f4").tobytes()
    header = orjson.dumps({"inputs": [{
        "name": "input", "shape": list(rows.shape), "datatype": "FP32",
        "parameters": {"binary_data_size": len(payload) if size is None else size},
    }], **extra})
    return header + payload, len(header)


def test_server_metadata_lists_the_binary_extension(client, upstream):
    body = client.get("/v2").json()
    upstream(body, "metadata_server_response")
    assert "binary_tensor_data" in body["extensions"]


def test_health(client):
    assert client.get("/v2/health/live").json() == {"live": True}
    assert client.get("/v2/health/ready").json() == {"ready": True}
    client.app.app.state.service.lifecycle.begin_drain()
    response = client.get("/v2/health/ready")
    assert response.status_code == 503 and "draining" in response.json()["error"]


@pytest.mark.parametrize("path", ["/v2/models/iris", "/v2/models/iris/versions/1"])
def test_model_metadata_describes_the_real_tensors(client, upstream, path):
    body = client.get(path).json()
    upstream(body, "metadata_model_response")
    assert body["name"] == "iris" and body["versions"] == ["1"] and body["platform"] == "onnx_onnxv1"
    assert body["inputs"] == [{"name": "input", "datatype": "FP32", "shape": [-1, 4]}]
    assert body["outputs"] == [
        {"name": "label", "datatype": "INT64", "shape": [-1]},
        {"name": "probabilities", "datatype": "FP32", "shape": [-1, 3]},
    ]


@pytest.mark.parametrize("path", ["/v2/models/iris/ready", "/v2/models/iris/versions/1/ready"])
def test_model_ready(client, path):
    assert client.get(path).json() == {"name": "iris", "ready": True}


@pytest.mark.parametrize(("method", "path", "message"), [
    ("GET", "/v2/models/mnist", "unknown model 'mnist'; this server serves 'iris'"),
    ("GET", "/v2/models/iris/versions/7", "has no version '7'; it serves version '1'"),
    ("GET", "/v2/models/mnist/ready", "unknown model"),
    ("GET", "/v2/models/iris/versions/7/ready", "no version '7'"),
    ("POST", "/v2/models/mnist/infer", "unknown model 'mnist'"),
    ("POST", "/v2/models/iris/versions/2/infer", "no version '2'"),
])
def test_unknown_model_or_version_is_404(client, method, path, message):
    response = client.request(method, path, json=infer_json(ROWS))
    assert response.status_code == 404
    assert message in response.json()["error"]


@pytest.mark.parametrize("path", ["/v2/models/iris/infer", "/v2/models/iris/versions/1/infer"])
def test_json_infer_equals_predict(client, upstream, path, admin_url):
    response = client.post(path, json=infer_json(ROWS, id="req-7"))
    assert response.status_code == 200
    body = response.json()
    upstream(body, "inference_response")
    assert body["id"] == "req-7" and body["model_name"] == "iris" and body["model_version"] == "1"
    outputs = {output["name"]: output for output in body["outputs"]}
    predict = client.post("/predict", json={"instances": ROWS}).json()
    assert outputs["label"]["data"] == predict["predictions"]
    assert outputs["label"]["shape"] == [3] and outputs["label"]["datatype"] == "INT64"
    assert outputs["probabilities"]["shape"] == [3, 3]
    assert np.array(outputs["probabilities"]["data"]).reshape(3, 3) == pytest.approx(np.array(predict["probabilities"]))
    assert response.headers["x-model-sha256"] == client.get(f"{admin_url}/model").json()["onnx"]["sha256"]


def test_only_the_outputs_asked_for(client):
    body = client.post("/v2/models/iris/infer", json=infer_json(ROWS, outputs=[{"name": "probabilities"}])).json()
    assert [output["name"] for output in body["outputs"]] == ["probabilities"]


def test_request_without_content_type_is_accepted(client):
    response = client.post("/v2/models/iris/infer", content=orjson.dumps(infer_json(ROWS)))
    assert response.status_code == 200


def test_binary_in_binary_out(client):
    rows = np.array(ROWS, dtype=np.float32)
    body, header_length = binary_body(rows, parameters={"binary_data_output": True})
    response = client.post("/v2/models/iris/infer", content=body, headers={
        "inference-header-content-length": str(header_length), "content-type": "application/octet-stream",
    })
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/octet-stream"
    length = int(response.headers["inference-header-content-length"])
    document = orjson.loads(response.content[:length])
    label, probabilities = document["outputs"]
    assert label["parameters"]["binary_data_size"] == 3 * 8
    data = response.content[length:]
    assert len(data) == 3 * 8 + 9 * 4
    labels = np.frombuffer(data[:24], "<i8")
    predict = client.post("/predict", json={"instances": ROWS}).json()
    assert labels.tolist() == predict["predictions"]


@pytest.mark.parametrize(("build", "status", "message"), [
    ("header beyond body", 400, "does not fit a body of"),
    ("size not shape x dtype", 400, "binary_data_size is 40, but shape [3, 4] of float32 needs 48 bytes"),
    ("trailing bytes", 400, "3 bytes follow the binary tensors"),
    ("missing header", 415, "needs an Inference-Header-Content-Length header"),
    ("short body", 400, "needs 48 bytes of binary data; the body holds 20"),
    ("header not a number", 400, "is not a number"),
])
def test_hand_built_binary_errors(client, build, status, message):
    rows = np.array(ROWS, dtype=np.float32)
    body, length = binary_body(rows)
    headers = {"content-type": "application/octet-stream", "inference-header-content-length": str(length)}
    if build == "header beyond body":
        headers["inference-header-content-length"] = str(len(body) + 10)
    elif build == "size not shape x dtype":
        body, length = binary_body(rows, size=40)
        body = body[:-8]
        headers["inference-header-content-length"] = str(length)
    elif build == "trailing bytes":
        body += b"xyz"
    elif build == "missing header":
        del headers["inference-header-content-length"]
    elif build == "short body":
        body = body[:length + 20]
    elif build == "header not a number":
        headers["inference-header-content-length"] = "12a"
    response = client.post("/v2/models/iris/infer", content=body, headers=headers)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert client.get("/v2/health/ready").status_code == 200


def test_wrong_content_type_is_415(client):
    response = client.post("/v2/models/iris/infer", content=b"x", headers={"content-type": "text/csv"})
    assert response.status_code == 415 and "text/csv" in response.json()["error"]


def test_v2_requests_are_counted_in_the_metrics(client, admin_url):
    client.post("/v2/models/iris/infer", json=infer_json(ROWS))
    text = client.get(f"{admin_url}/metrics").text
    assert 'route="/v2/models/{model_name}/infer",status="200"' in text
    assert "gateway_predicted_rows_total 3.0" in text


def test_rows_the_model_cannot_score_are_400(client):
    response = client.post("/v2/models/iris/infer", json=infer_json([[-6e16, -1.78e38, 1e-250, 1.6e38]]))
    assert response.status_code == 400
    assert "cannot score row 0" in response.json()["error"]
