"""OpenTelemetry tracing of requests: off by default (GATEWAY_TRACE_RATIO=0), and then free.

Off, nothing of OpenTelemetry is imported (the serve lock does not even hold it:
it is the tracing extra, tracing.lock) and a request pays one attribute test in
the front door. On, each request the sampling picks gets one SERVER span, with
the HTTP attributes of OpenTelemetry's semantic conventions and the model's name,
version and sha256; the SDK's batch processor exports the spans by OTLP/HTTP from
a thread of its own, off the event loop, to the endpoint the standard
OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT variable names
(http://localhost:4318 by default: the ADOT collector beside the task in ECS,
infra/service/tracing.tf). OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES apply.

Sampling is the parent-based ratio sampler of the OpenTelemetry specification, with
the decision taken before the SDK is called: a request whose W3C `traceparent` says
sampled is traced and continues the client's trace; one whose `traceparent` says
not sampled is not traced; one without a valid `traceparent` is traced with the
probability GATEWAY_TRACE_RATIO gives. A request not traced costs a scan of its
headers and one random draw.
"""
import random
from typing import Any, Final

from starlette.types import Scope

from gateway.model.card import ModelCard

TRACEPARENT: Final = b"traceparent"
TRACESTATE: Final = b"tracestate"
# The ALB's X-Ray header, recorded as the semantic conventions name a request header.
AWS_TRACE_ATTRIBUTE: Final = "http.request.header.x-amzn-trace-id"
INSTALL_HINT: Final = (
    "GATEWAY_TRACE_RATIO > 0 needs OpenTelemetry, the tracing extra: install tracing.lock on top of "
    "serve.lock (`make serve TRACING=1`; the serve image built with --build-arg TRACING=true)"
)


class TracingUnavailable(RuntimeError):
    """Tracing was asked for and the tracing extra is not installed."""


def available() -> bool:
    """Whether the tracing extra is installed (checked before serving, so that a
    missing package is a clear start-up error, not a failed lifespan)."""
    try:
        import opentelemetry.exporter.otlp.proto.http.trace_exporter  # noqa: F401
        import opentelemetry.sdk.trace  # noqa: F401
    except ImportError:
        return False
    return True


def model_attributes(card: ModelCard) -> dict[str, str]:
    return {"model.name": card.name, "model.version": card.version, "model.sha256": card.sha256}


class RequestTracer:
    """One SERVER span per sampled request, exported in batches by OTLP/HTTP."""

    def __init__(self, ratio: float, card: ModelCard, release: str, exporter: Any = None) -> None:
        """`exporter`: the OTLP/HTTP span exporter, configured by the OTEL_* variables,
        unless another is given."""
        try:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import OTELResourceDetector, Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
            from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased
            from opentelemetry.trace import SpanKind, StatusCode, get_current_span
            from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
        except ImportError as error:
            raise TracingUnavailable(INSTALL_HINT) from error
        self.ratio = ratio
        self._draw = random.random
        # Defaults first, the OTEL_* variables over them (a merge's right side wins).
        resource = Resource({"service.name": f"{card.name}-gateway", "service.version": release,
                             **model_attributes(card)}).merge(OTELResourceDetector().detect())
        # The SDK samples everything it is handed: the decision is taken in start().
        self._provider = TracerProvider(resource=resource, sampler=ParentBased(ALWAYS_ON))
        self._provider.add_span_processor(BatchSpanProcessor(exporter or OTLPSpanExporter()))
        self._tracer = self._provider.get_tracer("gateway")
        self._propagator = TraceContextTextMapPropagator()
        self._span_in = get_current_span
        self._model = model_attributes(card)
        self._server = SpanKind.SERVER
        self._error = StatusCode.ERROR

    def start(self, scope: Scope, aws_trace: bytes | None) -> Any:
        """The span of this request, or None when it is not sampled."""
        carrier: dict[str, str] = {}
        for key, value in scope["headers"]:
            if key == TRACEPARENT or key == TRACESTATE:
                carrier.setdefault(key.decode(), value.decode("latin-1"))
        context = None
        if "traceparent" in carrier:
            context = self._propagator.extract(carrier)
            parent = self._span_in(context).get_span_context()
            if not parent.is_valid:
                context = None  # a malformed traceparent: a root, sampled at the ratio
            elif not parent.trace_flags.sampled:
                return None
        if context is None and self._draw() >= self.ratio:
            return None
        attributes = {"http.request.method": scope["method"], "url.path": scope["path"],
                      "url.scheme": scope.get("scheme", "http"), **self._model}
        server = scope.get("server")
        if server is not None:
            attributes["server.port"] = server[1]
        if aws_trace is not None:
            attributes[AWS_TRACE_ATTRIBUTE] = aws_trace.decode()
        return self._tracer.start_span(scope["method"], context=context, kind=self._server, attributes=attributes)

    def end(self, span: Any, method: str, route: str | None, status: int, request_id: bytes) -> None:
        """`route`: the template of the route that matched (`/v2/models/{model_name}/infer`), if one did."""
        if route is not None:
            # The semantic conventions' span name: the method and the route's template.
            span.update_name(f"{method} {route}")
            span.set_attribute("http.route", route)
        span.set_attribute("http.response.status_code", status)
        span.set_attribute("gateway.request_id", request_id.decode())
        if status >= 500:
            span.set_status(self._error)
        span.end()

    def shutdown(self) -> None:
        """Export what is still queued, then stop the exporting thread."""
        self._provider.shutdown()
