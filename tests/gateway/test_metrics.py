import re

from tests.gateway.conftest import ONE_ROW


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


def test_requests_latency_classes_and_model_info(client, settings):
    client.post("/predict", json=ONE_ROW)
    client.post("/predict", json={"instances": [[5.1, 3.5, 1.4, 0.2], [6.5, 3.0, 5.5, 2.0], [6.0, 2.9, 4.5, 1.5]]})
    client.post("/predict", json={"features": [1]})
    client.get("/nope")
    text = client.get("/metrics").text
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


def test_rows_outside_the_training_range_are_counted(client):
    client.post("/predict", json={"instances": [[5.1, 3.5, 1.4, 0.2], [50, 3.5, 1.4, 0.2], [5.1, 3.5, 1.4, -1]]})
    client.post("/predict", json={"features": [5.1, 3.5, 1.4, 9.0]})
    assert sample(client.get("/metrics").text, "gateway_out_of_range_rows_total") == 3


def test_metrics_content_type_is_prometheus_text(client):
    assert client.get("/metrics").headers["content-type"].startswith("text/plain; version=")


def test_bulk_flush_equals_prometheus_observe():
    """The bulk histogram update gives exactly what observe() gives for the same values."""
    from prometheus_client import CollectorRegistry, Histogram, generate_latest

    from gateway.metrics import LATENCY_BUCKETS, Metrics

    values = [0.00005, 0.0001, 0.0002, 0.0005, 0.0009, 0.003, 0.02, 0.3, 0.99, 1.0, 2.5, 7.0]
    bulk = Metrics()
    for value in values:
        bulk.observe_request("/predict", "POST", 200, value)
    bulk.flush()
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
