"""A local OTLP/HTTP receiver: what a collector would get from the gateway's exporter.

bench/ sends a traced gateway's spans to it (a collector's place, without one's
cost on the machine), and tests/gateway/served/test_tracing.py reads the spans it received.
"""
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Iterator

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)

TRACES_PATH = "/v1/traces"


def value_of(any_value: Any) -> Any:
    """An OTLP AnyValue as Python (the kinds span attributes use)."""
    kind = any_value.WhichOneof("value")
    if kind == "array_value":
        return [value_of(item) for item in any_value.array_value.values]
    return getattr(any_value, kind)


def attributes_of(key_values: Any) -> dict[str, Any]:
    return {pair.key: value_of(pair.value) for pair in key_values}


class Receiver:
    """Every span posted to TRACES_PATH, as (resource attributes, span) pairs, in arrival order."""

    def __init__(self) -> None:
        self.spans: list[tuple[dict[str, Any], Any]] = []
        self.requests: list[tuple[str, str]] = []  # (path, content type) of each POST
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    receiver.requests.append((self.path, self.headers.get("Content-Type", "")))
                    if self.path == TRACES_PATH:
                        export = ExportTraceServiceRequest.FromString(body)
                        for resource_spans in export.resource_spans:
                            resource = attributes_of(resource_spans.resource.attributes)
                            for scope_spans in resource_spans.scope_spans:
                                receiver.spans.extend((resource, span) for span in scope_spans.spans)
                reply = ExportTraceServiceResponse().SerializeToString()
                self.send_response(200 if self.path == TRACES_PATH else 404)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        # Port 0: the kernel picks a free one, no race with another test.
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"

    def received(self) -> list[tuple[dict[str, Any], Any]]:
        with self._lock:
            return list(self.spans)


@contextmanager
def otlp_receiver() -> Iterator[Receiver]:
    """A receiver on a free loopback port, serving until the `with` ends."""
    receiver = Receiver()
    thread = threading.Thread(target=receiver._server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver._server.shutdown()
        receiver._server.server_close()
        thread.join()
