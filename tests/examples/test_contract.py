"""The gateway's contract for each example: its own OpenAPI document (valid, its
examples answered), fuzzing against that document with no 5xx,
and the service healthy after."""

import json

import httpx
import orjson
import pytest
from openapi_spec_validator import validate

from tests.support import EXAMPLES, running_gateway
from tests.fuzzing import assert_conforms_without_5xx

pytestmark = pytest.mark.timeout(600)


@pytest.mark.parametrize("name", EXAMPLES)
def test_the_document_is_the_examples_and_its_examples_are_answered(serve, name):
    _, gateway = serve(name)
    document = httpx.get(f"{gateway.url}/openapi.json").json()
    validate(document)
    assert document["info"]["title"] == f"{name} ONNX gateway"
    for path, route in (("/predict", "/predict"), ("/v2/models/{model_name}/infer", f"/v2/models/{name}/infer")):
        examples = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["examples"]
        for example in examples.values():
            answer = httpx.post(gateway.url + route, json=example["value"])
            assert answer.status_code == 200, (path, example["summary"], answer.text)
    assert "Iris" not in str(document) and "iris" not in str(document).lower().replace(name, "")


@pytest.mark.slow
@pytest.mark.parametrize("name", EXAMPLES)
def test_generated_requests_conform_and_never_fail(serve, tmp_path, name):
    _, gateway = serve(name, access_log="false")
    assert_conforms_without_5xx(gateway, tmp_path, max_examples=30, at_least=300)


def _churn_v2(columns: dict[str, bytes]) -> bytes:
    """A churn infer body: each column's tensor given as raw JSON (the rest valid, one row)."""
    valid = {
        "tenure_months": b'{"name": "tenure_months", "shape": [1, 1], "datatype": "FP32", "data": [3]}',
        "monthly_charges": b'{"name": "monthly_charges", "shape": [1, 1], "datatype": "FP32", "data": [85.5]}',
        "support_calls": b'{"name": "support_calls", "shape": [1, 1], "datatype": "FP32", "data": [6]}',
        "plan": b'{"name": "plan", "shape": [1, 1], "datatype": "BYTES", "data": ["pro"]}',
        "region": b'{"name": "region", "shape": [1, 1], "datatype": "BYTES", "data": ["south"]}',
    }
    valid.update(columns)
    return b'{"inputs": [' + b", ".join(value for value in valid.values() if value) + b"]}"


def _binary_plan(payload: bytes, size: int | str) -> tuple[bytes, dict[str, str]]:
    """A churn infer whose plan tensor travels in the binary extension, with `size` stated."""
    header = _churn_v2({"plan": b'{"name": "plan", "shape": [1, 1], "datatype": "BYTES", "parameters":'
                                b' {"binary_data_size": %s}}' % str(size).encode()})
    return header + payload, {"Inference-Header-Content-Length": str(len(header))}


# What a client controls in the mixed example's requests, and the 4xx each gets.
DEEP = b"[" * 1000 + b'"x"' + b"]" * 1000
HOSTILE = [
    ("predict", "a value nested 1,000 deep in a category position",
     b'{"features": [3, 85.5, 6, ' + DEEP + b', "south"]}', {}, "position 3 (plan) must be a string"),
    ("predict", "a named row with 50,000 unknown names",
     b'{"features": {' + b", ".join(b'"k%d": 1' % i for i in range(50_000)) + b"}}", {},
     "names unknown feature 'k0'"),
    ("predict", "a category that is an object", b'{"features": [3, 85.5, 6, {"a": 1}, "south"]}', {},
     "must be a string (a category), got an object"),
    ("predict", "a number as a string", b'{"features": ["3", 85.5, 6, "pro", "south"]}', {},
     "position 0 (tenure_months) must be a number, got a string"),
    ("predict", "a number past float32", b'{"features": [1e39, 85.5, 6, "pro", "south"]}', {},
     "outside the float32 range"),
    ("infer", "a missing column", _churn_v2({"region": b""}), {}, "missing input region"),
    ("infer", "columns of different lengths",
     _churn_v2({"plan": b'{"name": "plan", "shape": [2, 1], "datatype": "BYTES", "data": ["pro", "basic"]}'}), {},
     "the same number of rows"),
    ("infer", "strings that are numbers in a BYTES column",
     _churn_v2({"plan": b'{"name": "plan", "shape": [1, 1], "datatype": "BYTES", "data": [7]}'}), {},
     "data position 0 must be a string"),
    ("infer", "a BYTES column sent as FP32",
     _churn_v2({"plan": b'{"name": "plan", "shape": [1, 1], "datatype": "FP32", "data": [7]}'}), {},
     "is not supported; send BYTES"),
    ("infer", "a binary string claiming 4 GB", *_binary_plan(b"\xff\xff\xff\xff" + b"pro", 7),
     "claims 4294967295 bytes"),
    ("infer", "a binary string that is not UTF-8", *_binary_plan(b"\x02\x00\x00\x00\xff\xfe", 6), "is not UTF-8"),
    ("infer", "a binary size too small for its rows", *_binary_plan(b"\x00\x00", 2), "cannot hold 1"),
    ("infer", "a binary size that is a string", *_binary_plan(b"", '"7"'), "cannot hold 1"),
    ("infer", "binary bytes left after the strings", *_binary_plan(b"\x03\x00\x00\x00proXX", 9),
     "its 1 strings take 7"),
    # Gaps where the churn pipeline takes none (its numbers have no imputer).
    ("predict", "null for a number", b'{"features": [null, 85.5, 6, "pro", "south"]}', {},
     "tenure_months is missing (null, or NaN in a binary tensor) in 1 row(s), and this model refuses a missing"
     " tenure_months"),
    ("predict", "null in every cell of 1,000 rows", b'{"instances": [' + b", ".join(
        [b"[null, null, null, null, null]"] * 1000) + b"]}", {}, "tenure_months is missing"),
    ("predict", "null by name", b'{"features": {"tenure_months": 3, "monthly_charges": null, "support_calls": 6,'
     b' "plan": "pro", "region": "south"}}', {}, "monthly_charges is missing"),
    ("predict", "a list holding null where a category goes", b'{"features": [3, 85.5, 6, [null], "south"]}', {},
     "position 3 (plan) must be a string (a category), got a list"),
    ("predict", "null as the row", b'{"features": null}', {}, "got null"),
    ("predict", "null as a row of a batch", b'{"instances": [[3, 85.5, 6, "pro", "south"], null]}', {},
     "row 1"),
    ("infer", "null in an FP32 tensor",
     _churn_v2({"support_calls": b'{"name": "support_calls", "shape": [1, 1], "datatype": "FP32", "data": [null]}'}),
     {}, "support_calls is missing"),
    ("infer", "null as an FP32 tensor's data",
     _churn_v2({"support_calls": b'{"name": "support_calls", "shape": [1, 1], "datatype": "FP32", "data": null}'}),
     {}, "must be a list of numbers, got null"),
    ("infer", "null as a BYTES tensor's data",
     _churn_v2({"plan": b'{"name": "plan", "shape": [1, 1], "datatype": "BYTES", "data": null}'}), {},
     "must be a list of strings, got null"),
    ("infer", "null as the shape",
     _churn_v2({"plan": b'{"name": "plan", "shape": null, "datatype": "BYTES", "data": ["pro"]}'}), {},
     "shape must be a list"),
]


@pytest.fixture(scope="module")
def churn_gateway(repo_root, built_examples, tmp_path_factory):
    folder = built_examples["churn"]
    with running_gateway(repo_root, tmp_path_factory.mktemp("logs") / "gateway.log",
                         model_path=str(folder / "churn.onnx"), card_path=str(folder / "churn.json")) as gateway:
        yield gateway


@pytest.mark.parametrize(("route", "body", "headers", "message"), [case[:1] + case[2:] for case in HOSTILE],
                         ids=[case[1] for case in HOSTILE])
def test_a_hostile_request_to_the_mixed_example_gets_a_4xx_naming_it(churn_gateway, route, body, headers, message):
    path = "/predict" if route == "predict" else "/v2/models/churn/infer"
    response = httpx.post(churn_gateway.url + path, content=body,
                          headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 400, response.text
    assert message in response.json()["error"]
    assert httpx.get(churn_gateway.url + "/health").status_code == 200


@pytest.mark.parametrize("body", [b"", b"[]", b'{"rows": []}'])
def test_a_message_shows_the_examples_own_row_never_iris(churn_gateway, built_examples, body):
    card = json.loads((built_examples["churn"] / "churn.json").read_text())
    response = httpx.post(churn_gateway.url + "/predict", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    message = response.json()["error"]
    assert orjson.dumps({"features": card["examples"][0]["features"]}).decode() in message
    assert "5.1" not in message
