"""OpenTelemetry tracing (gateway/signals/tracing.py): the ratio sampler, a malformed
traceparent, a 5xx span; off, OpenTelemetry is not even imported. On a real gateway,
with an OTLP receiver: tests/gateway/served/test_tracing.py."""
import subprocess
import sys

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from gateway.model.card import ModelCard
from gateway.signals.tracing import RequestTracer


def test_tracing_off_imports_no_opentelemetry(repo_root):
    """Free when off: a gateway built with the default settings, in a venv that has
    OpenTelemetry installed, loads none of it."""
    probe = ("import sys, gateway.__main__ as main, gateway.app as app; app.create_app(); "
             "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))")
    result = subprocess.run([sys.executable, "-c", probe], cwd=repo_root, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def scope_with(headers=()):
    return {"type": "http", "method": "POST", "path": "/predict", "scheme": "http",
            "server": ("127.0.0.1", 8080), "headers": list(headers)}


@pytest.fixture
def in_memory(settings):
    exporter = InMemorySpanExporter()
    tracer = RequestTracer(0.25, ModelCard.load(settings.card_path), "dev", exporter=exporter)
    yield tracer, exporter
    tracer.shutdown()


def finished(tracer, exporter):
    """The spans ended so far, once the batch processor has handed them over."""
    tracer._provider.force_flush()
    return exporter.get_finished_spans()


@pytest.mark.parametrize("draw, sampled", [(0.0, True), (0.2499, True), (0.25, False), (0.9, False)])
def test_a_request_without_a_parent_is_sampled_at_the_ratio(in_memory, draw, sampled):
    tracer, exporter = in_memory
    tracer._draw = lambda: draw
    span = tracer.start(scope_with(), None)
    assert (span is not None) is sampled
    if span is not None:
        tracer.end(span, "POST", None, 200, b"id-1")
        assert [s.name for s in finished(tracer, exporter)] == ["POST"]


@pytest.mark.parametrize("traceparent", [
    b"00-00000000000000000000000000000000-00f067aa0ba902b7-01",  # an all-zero trace id is invalid
    b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",  # no flags
    b"not a traceparent",
])
def test_a_malformed_traceparent_is_a_root_sampled_at_the_ratio(in_memory, traceparent):
    tracer, exporter = in_memory
    tracer._draw = lambda: 0.9
    assert tracer.start(scope_with([(b"traceparent", traceparent)]), None) is None
    tracer._draw = lambda: 0.1
    span = tracer.start(scope_with([(b"traceparent", traceparent)]), None)
    assert span is not None and span.parent is None


def test_a_5xx_answer_marks_the_span_as_an_error(in_memory):
    tracer, exporter = in_memory
    tracer._draw = lambda: 0.0
    tracer.end(tracer.start(scope_with(), None), "POST", None, 503, b"id-2")
    tracer.end(tracer.start(scope_with(), None), "POST", None, 404, b"id-3")
    errors = [span.status.is_ok for span in finished(tracer, exporter)]
    assert errors == [False, True]
