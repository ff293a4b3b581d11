"""What the core knows of the request it serves: its id, when it started and, when
it is traced, its span. The HTTP layer makes one per request (gateway.http.front)
and hands it to the core, which never sees the ASGI scope."""
from typing import Any


class RequestContext:
    # Slots: one is made on every request.
    __slots__ = ("request_id", "started", "span")

    def __init__(self, request_id: bytes, started: float, span: Any = None) -> None:
        self.request_id = request_id
        self.started = started
        """time.perf_counter() when the front door took the request."""
        self.span = span
        """The request's OpenTelemetry span (gateway.signals.tracing), or None."""
