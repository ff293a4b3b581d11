import os
import re
import subprocess
import sys
from importlib.metadata import version

import pytest
from starlette.testclient import TestClient

from gateway.app import create_app_from_environment
from gateway.signals.metrics import multiprocess_active
from tests.support import ONE_ROW
from tests.support import ORIGINAL_ROW


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus text format (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name:
            given = ",".join(sorted((match[2] or "").split(","))) if match[2] else ""
            if given == wanted:
                return float(match[3])
    return 0.0


def test_requests_latency_classes_and_model_info(client, settings, admin_url):
    client.post("/predict", json=ONE_ROW)
    client.post("/predict", json={"instances": [list(ORIGINAL_ROW), [6.5, 3.0, 5.5, 2.0], [6.0, 2.9, 4.5, 1.5]]})
    client.post("/predict", json={"features": [1]})
    client.get("/nope")
    text = client.get(f"{admin_url}/metrics").text
    assert sample(text, "gateway_requests_total", route="/predict", method="POST", status="200") == 2
    assert sample(text, "gateway_requests_total", route="/predict", method="POST", status="400") == 1
    assert sample(text, "gateway_requests_total", route="unmatched", method="GET", status="404") == 1
    assert sample(text, "gateway_request_duration_seconds_count", route="/predict") == 3
    assert sample(text, "gateway_predicted_rows_total") == 4
    assert sample(text, "gateway_predictions_total", class_name="setosa") == 2
    assert sample(text, "gateway_predictions_total", class_name="virginica") == 1
    assert sample(text, "gateway_predictions_total", class_name="versicolor") == 1
    info = [line for line in text.splitlines() if line.startswith("gateway_model_info{")]
    assert len(info) == 1 and 'name="iris"' in info[0] and 'version="1"' in info[0] and "sha256=" in info[0]


def test_rows_outside_the_training_range_and_the_proven_region_are_counted(client, admin_url):
    client.post("/predict", json={"instances": [list(ORIGINAL_ROW), [50, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4, -1]]})
    client.post("/predict", json={"features": [5.1, 3.5, 1.4, 9.0]})
    # Petal width 2.8: above the training maximum (2.5), inside the parity box (3.1).
    client.post("/predict", json={"features": [5.1, 3.5, 1.4, 2.8]})
    text = client.get(f"{admin_url}/metrics").text
    assert sample(text, "gateway_out_of_range_rows_total") == 4
    assert sample(text, "gateway_unproven_rows_total") == 3


def test_metrics_content_type_is_prometheus_text(client, admin_url):
    assert client.get(f"{admin_url}/metrics").headers["content-type"].startswith("text/plain; version=")


def test_bulk_flush_equals_prometheus_observe():
    """The bulk histogram update gives exactly what observe() gives for the same values."""
    from prometheus_client import CollectorRegistry, Histogram, generate_latest

    from gateway.signals.metrics import LATENCY_BUCKETS, Metrics

    values = [0.00005, 0.0001, 0.0002, 0.0005, 0.0009, 0.003, 0.02, 0.3, 0.99, 1.0, 2.5, 7.0]
    bulk = Metrics()
    for value in values:
        bulk.observe_request("/predict", "POST", 200, value)
    try:
        bulk.flush()
    except AttributeError as error:
        pytest.fail(f"prometheus-client {version('prometheus-client')} changed the private Histogram fields"
                    f" gateway.signals.metrics.observe_many relies on: {error}")
    registry = CollectorRegistry()
    direct = Histogram("gateway_request_duration_seconds", "x", ["route"], buckets=LATENCY_BUCKETS, registry=registry)
    for value in values:
        direct.labels("/predict").observe(value)

    def lines(text: bytes) -> list[str]:
        return [line for line in text.decode().splitlines() if line.startswith("gateway_request_duration_seconds_")
                and "_created" not in line]

    assert lines(generate_latest(bulk.registry)) == lines(generate_latest(registry))
    assert sample(generate_latest(bulk.registry).decode(), "gateway_request_duration_seconds_count", route="/predict") \
        == len(values)


def test_the_asgi_factory_with_several_workers_still_serves_metrics(monkeypatch, settings, admin_url):
    # `uvicorn --factory gateway.app:create_app_from_environment` with GATEWAY_WORKERS=2,
    # not started by `python -m gateway`: no multiprocess directory exists, and a
    # scrape that sums worker files would answer 500.
    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    monkeypatch.setenv("GATEWAY_WORKERS", "2")
    monkeypatch.setenv("GATEWAY_MODEL_PATH", str(settings.model_path))
    monkeypatch.setenv("GATEWAY_CARD_PATH", str(settings.card_path))
    with TestClient(create_app_from_environment(), raise_server_exceptions=False) as client:
        client.post("/predict", json=ONE_ROW)
        response = client.get(f"{admin_url}/metrics")
    assert response.status_code == 200, response.text
    assert sample(response.text, "gateway_predicted_rows_total") == 1


def test_multiprocess_mode_follows_prometheus_clients_own_decision(repo_root, tmp_path):
    # In-process, no PROMETHEUS_MULTIPROC_DIR: single-process mode.
    assert not multiprocess_active()
    # A process started with it (as gateway.__main__ starts its workers).
    probe = "from gateway.signals.metrics import multiprocess_active; print(multiprocess_active())"
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", probe], cwd=repo_root, env=env, capture_output=True, text=True)
    assert done.stdout.strip() == "True", (
        f"prometheus-client {version('prometheus-client')} no longer exposes values.ValueClass as"
        f" gateway.signals.metrics.multiprocess_active expects: {done.stderr}"
    )
