import json

import numpy as np
import onnxruntime as ort
import pytest

from tests.support import ONE_ROW


def test_the_seed_example_answers_prediction_0(client):
    # The original README's curl: {"features": [5.1, 3.5, 1.4, 0.2]} -> {"prediction": 0}
    response = client.post("/predict", json=ONE_ROW)
    assert response.status_code == 200
    body = response.json()
    assert body["prediction"] == 0
    assert body["class_name"] == "setosa"
    assert sum(body["probabilities"]) == pytest.approx(1, abs=1e-6)


def test_prediction_headers_identify_the_model(client, settings):
    card = json.loads(settings.card_path.read_text())
    response = client.post("/predict", json=ONE_ROW)
    assert response.headers["x-model-version"] == card["version"]
    assert response.headers["x-model-sha256"] == card["onnx"]["sha256"]
    assert response.headers["content-type"] == "application/json"


def test_batch_equals_onnxruntime_and_single_rows(client, settings):
    rows = np.random.default_rng(7).uniform(0, 8, size=(200, 4)).round(2)
    response = client.post("/predict", json={"instances": rows.tolist()})
    assert response.status_code == 200
    body = response.json()
    session = ort.InferenceSession(str(settings.model_path), providers=["CPUExecutionProvider"])
    labels, probabilities = session.run(None, {"input": rows.astype(np.float32)})
    assert body["predictions"] == labels.tolist()
    np.testing.assert_allclose(body["probabilities"], probabilities, rtol=1e-6)
    card = json.loads(settings.card_path.read_text())
    assert body["class_names"] == [card["classes"][label] for label in labels]
    singles = [client.post("/predict", json={"features": row}).json()["prediction"] for row in rows[:20].tolist()]
    assert singles == body["predictions"][:20]


def test_content_type_with_charset_is_json(client):
    response = client.post(
        "/predict", content=json.dumps(ONE_ROW), headers={"content-type": "application/json; charset=utf-8"}
    )
    assert response.status_code == 200


def test_health_live_and_model_card(client, settings, admin_url):
    assert client.get("/health").json() == {"status": "ready"}
    assert client.get("/live").json() == {"status": "alive"}
    card = json.loads(settings.card_path.read_text())
    assert client.get(f"{admin_url}/model").json() == {**card, "release": settings.release}


def test_request_id_is_echoed_or_made(client):
    given = client.post("/predict", json=ONE_ROW, headers={"x-request-id": "abc-123"})
    assert given.headers["x-request-id"] == "abc-123"
    made = [client.get("/health").headers["x-request-id"] for _ in range(2)]
    assert made[0] != made[1] and all(made)
    unsafe = client.get("/health", headers={"x-request-id": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"


def test_health_is_503_before_the_model_is_loaded(settings):
    from gateway.app import create_app
    from starlette.testclient import TestClient

    # Without entering the client's context the lifespan never runs: nothing loaded.
    response = TestClient(create_app(settings)).get("/health")
    assert response.status_code == 503
    assert response.json() == {"error": "not ready: starting", "status": "starting"}


def test_health_is_503_while_draining(client):
    client.app.app.state.service.lifecycle.begin_drain()
    response = client.get("/health")
    assert response.status_code == 503 and response.json()["status"] == "draining"
    assert client.get("/live").status_code == 200
    assert client.post("/predict", json=ONE_ROW).status_code == 200  # still served while draining


def test_a_server_fault_is_a_generic_500_with_the_traceback_only_in_the_log(client, caplog):
    service = client.app.app.state.service

    def broken(rows, categories=None):
        raise RuntimeError("secret internals")

    service.model.predict = broken
    response = client.post("/predict", json=ONE_ROW, headers={"x-request-id": "fault-1"})
    assert response.status_code == 500
    assert response.json() == {"error": "internal server error"}
    assert "secret" not in response.text
    assert "secret internals" in caplog.text and "fault-1" in caplog.text
    assert client.get("/health").status_code == 200


def test_every_answer_names_the_release(make_client, admin_url):
    client = make_client(release="f00dfeed")
    for response in (
        client.post("/predict", json=ONE_ROW),
        client.post("/predict", json={"features": [1]}),
        client.get("/health"),
        client.get("/nope"),
    ):
        assert response.headers["x-release"] == "f00dfeed"
    assert client.get(f"{admin_url}/model").json()["release"] == "f00dfeed"


def test_middleware_that_would_skip_the_hot_routes_is_refused_at_start(settings):
    from starlette.middleware.cors import CORSMiddleware
    from starlette.testclient import TestClient

    from gateway.app import create_app

    app = create_app(settings)
    app.app.add_middleware(CORSMiddleware, allow_origins=["*"])
    with pytest.raises(RuntimeError, match=r"CORSMiddleware.*would not run.*/predict"):
        with TestClient(app):
            pass


def test_without_the_shortcut_starlette_routes_predictions_and_middleware_runs(settings):
    from starlette.middleware.cors import CORSMiddleware
    from starlette.testclient import TestClient

    from gateway.app import create_app

    app = create_app(settings, shortcut=False)
    app.app.add_middleware(CORSMiddleware, allow_origins=["https://example.org"])
    with TestClient(app, raise_server_exceptions=False) as client:
        origin = {"origin": "https://example.org", "x-request-id": "routed-1"}
        answer = client.post("/predict", json=ONE_ROW, headers=origin)
        refused = client.post("/predict", json={"features": [1]}, headers=origin)
        wrong_method = client.get("/predict")
    assert answer.status_code == 200 and answer.json()["prediction"] == 0
    assert answer.headers["access-control-allow-origin"] == "https://example.org"
    assert answer.headers["x-request-id"] == "routed-1" and answer.headers["x-model-name"] == "iris"
    assert refused.status_code == 400 and "4 numbers" in refused.json()["error"]
    assert refused.headers["access-control-allow-origin"] == "https://example.org"
    assert wrong_method.status_code == 405
