"""Every client mistake is a 4xx with {"error": "..."} naming the problem, and the
service stays healthy after it."""
import pytest

from tests.support import ONE_ROW, ONE_ROW_BODY

JSON = {"content-type": "application/json"}

# The codec's own messages (not valid JSON, row lengths, a string or a boolean for a
# number, the float32 range...) are checked against the codec alone, one by one, in
# tests/gateway/codecs/test_predict.py. Here only what the app adds: the HTTP layer
# (Content-Type, Content-Length, a bare POST) and the model served (its card's names,
# a gap it refuses, rows it cannot score, the batch limit it was given).
CASES = [
    # (id, body bytes, headers, status, words the message must contain)
    ("null where the model takes no gap", b'{"features": [5.1, 3.5, null, 0.2]}', JSON, 400,
     "petal length (cm) is missing (null, or NaN in a binary tensor) in 1 row(s), and this model refuses a missing"
     " petal length (cm)"),
    ("features object, unknown name", b'{"features": {"a": 1}}', JSON, 400,
     "names unknown feature 'a'; the features are sepal length (cm), sepal width (cm)"),
    ("features object, a name missing",
     b'{"features": {"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4}}', JSON, 400,
     "lacks feature petal width (cm)"),
    ("features object, a string value",
     b'{"features": {"sepal length (cm)": "5.1", "sepal width (cm)": 3.5, "petal length (cm)": 1.4,'
     b' "petal width (cm)": 0.2}}', JSON, 400, "position 0 (sepal length (cm)) must be a number, got a string"),
    ("instances, named then positional",
     b'{"instances": [{"sepal length (cm)": 5.1, "sepal width (cm)": 3.5, "petal length (cm)": 1.4,'
     b' "petal width (cm)": 0.2}, [5.1, 3.5, 1.4, 0.2]]}', JSON, 400,
     "row 1 must be an object of features like row 0, got a list"),
    # Found by schemathesis: finite, but the model's arithmetic overflows.
    ("overflowing row", b'{"features": [-6e16, -1.78e38, 1e-250, 1.6e38]}', JSON, 400, "cannot score row 0"),
    ("overflowing batch row", b'{"instances": [[5, 3, 1, 0.2], [-6e16, -1.78e38, 0, 1.6e38]]}', JSON, 400,
     "cannot score row 1"),
    # The limit is the app's setting (max_batch_rows=1000 here), not the codec's default.
    ("too many rows", b'{"instances": [' + b",".join([b"[1, 2, 3, 4]"] * 1001) + b"]}", JSON, 400, "the limit is 1000"),
    ("text/plain", ONE_ROW_BODY, {"content-type": "text/plain"}, 415, "application/json"),
    ("form", b"a=1", {"content-type": "application/x-www-form-urlencoded"}, 415, "got application/x-www-form"),
    ("no content type", ONE_ROW_BODY, {}, 415, "got none"),
    # The original answered a bare POST /predict with 400; its users' tests expect that.
    ("bare POST, no body, no type", b"", {}, 400, "request body is empty"),
    ("no body, wrong type", b"", {"content-type": "text/plain"}, 400, "request body is empty"),
    ("bad content-length", b"{}", {**JSON, "content-length": "x"}, 400, "Content-Length"),
]


@pytest.mark.parametrize(("body", "headers", "status", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_payload(client, body, headers, status, message):
    response = client.post("/predict", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    assert message in response.json()["error"]
    assert client.get("/health").status_code == 200
    assert client.post("/predict", json=ONE_ROW).json()["prediction"] == 0


def test_body_over_the_limit_is_413_from_its_declared_length(client, settings):
    body = b'{"instances": [' + b"[1.0, 2.0, 3.0, 4.0]," * 5000 + b"[1, 2, 3, 4]]}"
    assert len(body) > settings.max_body_bytes
    response = client.post("/predict", content=body, headers=JSON)
    assert response.status_code == 413
    assert response.json()["error"] == (
        f"request body of {len(body)} bytes exceeds {settings.max_body_bytes} bytes (GATEWAY_MAX_BODY_BYTES)"
    )


@pytest.mark.parametrize(("method", "path", "status", "message"), [
    ("GET", "/nope", 404, "no route for GET /nope"),
    ("POST", "/predict/", 404, "no route for POST /predict/"),
    ("GET", "/predict", 405, "method GET is not allowed on /predict"),
    ("DELETE", "/health", 405, "method DELETE is not allowed on /health"),
    ("PUT", "/predict", 405, "not allowed"),
])
def test_unknown_routes_and_wrong_methods(client, method, path, status, message):
    response = client.request(method, path)
    assert response.status_code == status
    assert response.json() == {"error": message} or message in response.json()["error"]
    assert client.get("/health").status_code == 200


def test_a_fault_in_an_ordinary_route_is_a_generic_500(client, admin_url):
    def broken() -> bytes:
        raise RuntimeError("exposition exploded")

    client.app.app.state.service.metrics.exposition = broken
    response = client.get(f"{admin_url}/metrics")
    assert response.status_code == 500
    assert response.json() == {"error": "internal server error"}
    assert client.get("/health").status_code == 200
