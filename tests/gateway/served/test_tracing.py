"""OpenTelemetry tracing on a real gateway: spans reach an OTLP receiver on a local port;
a client's traceparent is continued; without the tracing extra the gateway refuses to start."""
import httpx
import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from bench.otlp import TRACES_PATH, attributes_of, otlp_receiver
from gateway.model.card import ModelCard
from gateway.signals.tracing import INSTALL_HINT
from tests.support import ONE_ROW
from tests.waiting import wait_until

CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CLIENT_SPAN = "00f067aa0ba902b7"
ALB_TRACE = "Root=1-67891233-abcdef012345678912345678;Sampled=1"


@pytest.fixture
def receiver(monkeypatch):
    """A local OTLP/HTTP receiver the gateway's exporter is pointed at, exporting
    every 50 ms instead of every 5 s (the batch processor's own setting)."""
    with otlp_receiver() as receiver:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
        monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
        monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
        monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
        yield receiver


def spans_received(receiver, count):
    """The spans at the receiver once there are at least `count`."""
    def enough():
        spans = receiver.received()
        return spans if len(spans) >= count else None
    return wait_until(enough, 30, f"{count} spans at the OTLP receiver")


def test_a_traced_request_arrives_as_a_server_span_with_the_model(start_gateway, receiver, settings):
    gateway = start_gateway(trace_ratio="1", release="r42")
    response = httpx.post(gateway.url + "/predict", json=ONE_ROW, headers={"X-Amzn-Trace-Id": ALB_TRACE})
    assert response.status_code == 200
    [(resource, span)] = spans_received(receiver, 1)
    attributes = attributes_of(span.attributes)
    card = ModelCard.load(settings.card_path)
    assert span.name == "POST /predict" and span.kind == Span.SPAN_KIND_SERVER
    assert attributes["http.request.method"] == "POST" and attributes["http.route"] == "/predict"
    assert attributes["url.path"] == "/predict" and attributes["http.response.status_code"] == 200
    assert attributes["server.port"] == gateway.port
    assert attributes["model.name"] == card.name and attributes["model.version"] == card.version
    assert attributes["model.sha256"] == card.sha256 and attributes["model.rows"] == 1
    assert attributes["gateway.request_id"] == response.headers["x-request-id"]
    assert attributes["http.request.header.x-amzn-trace-id"] == ALB_TRACE
    assert span.status.code != Status.STATUS_CODE_ERROR and span.end_time_unix_nano > span.start_time_unix_nano
    assert resource["service.name"] == f"{card.name}-gateway" and resource["service.version"] == "r42"
    assert resource["model.sha256"] == card.sha256
    assert receiver.requests[0] == (TRACES_PATH, "application/x-protobuf")


def test_probes_are_not_traced(start_gateway, receiver):
    """A load balancer's health checks would drown the traces: /health and /live make
    no span, even at a ratio of 1; the prediction sent after them is the only one."""
    gateway = start_gateway(trace_ratio="1")
    for path in ("/health", "/live", "/health"):
        assert httpx.get(gateway.url + path).status_code == 200
    assert httpx.post(gateway.url + "/predict", json=ONE_ROW).status_code == 200
    spans = spans_received(receiver, 1)
    assert [span.name for _, span in spans] == ["POST /predict"]


def test_a_client_trace_is_continued_and_its_unsampled_flag_obeyed(start_gateway, receiver):
    # A ratio so small that no request without a traceparent is sampled in this test
    # (one in a billion per request); the sampled ones are sampled by their parent.
    gateway = start_gateway(trace_ratio="0.000000001")
    with httpx.Client(base_url=gateway.url) as client:
        unsampled = client.post("/predict", json=ONE_ROW,
                                headers={"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-00"})
        batch = client.post("/predict", json={"instances": [ONE_ROW["features"]] * 3},
                            headers={"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01",
                                     "tracestate": "vendor=opaque"})
        bad = client.post("/predict", json={"features": "nope"},
                          headers={"traceparent": f"00-{CLIENT_TRACE}-{CLIENT_SPAN}-01"})
    assert unsampled.status_code == 200 and batch.status_code == 200 and bad.status_code == 400
    # The batch processor exports in the order spans end: once the last sampled
    # request's span is in, an unsampled one would have arrived before it.
    spans = [span for _, span in spans_received(receiver, 2)]
    assert len(spans) == 2
    for span in spans:
        assert span.trace_id.hex() == CLIENT_TRACE and span.parent_span_id.hex() == CLIENT_SPAN
    assert [span.trace_state for span in spans] == ["vendor=opaque", ""]
    first, second = (attributes_of(span.attributes) for span in spans)
    assert first["model.rows"] == 3 and first["http.response.status_code"] == 200
    assert second["http.response.status_code"] == 400 and "model.rows" not in second
    assert {first["gateway.request_id"], second["gateway.request_id"]} == {
        batch.headers["x-request-id"], bad.headers["x-request-id"]}


def test_the_gateway_without_the_tracing_extra_refuses_to_trace(start_gateway, serve_python, tmp_path):
    """The serve venv (serve.lock alone) has no OpenTelemetry: asking for tracing
    there is a start-up error naming the extra, not a traceback."""
    with pytest.raises(RuntimeError, match="exited with 2") as failed:
        start_gateway(python=serve_python, trace_ratio="0.5")
    assert INSTALL_HINT in str(failed.value) and "Traceback" not in str(failed.value)
