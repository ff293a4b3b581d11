"""The outermost ASGI app: the front door every request passes.

For every request it takes or makes a request id, times the request, counts it in
the metrics, writes one access-log line, and adds X-Request-Id and X-Release to
the answer. A request that arrived on the admin port goes to the admin app; on
the public port, requests beyond the in-progress limit are refused with 503
(gateway.http.limits), and the rest go to Starlette, or, for the prediction routes'
POSTs, straight to their endpoint.

Why the shortcut: the prediction endpoints are real Starlette routes
(gateway.http.endpoint), and `create_app(shortcut=False)` serves them through
Starlette's router and middleware stack. Going past them pays: a single-row
request costs fewer instructions and the gateway answers more requests/s. The
figures, shortcut against routed, are the committed runs': bench/results.md
("the front door's shortcut", `make bench`) and bench/instructions.txt
(`make bench-instructions`). The price: Starlette middleware would run for every
route but these, so none may be added while the shortcut is on (a concern every
route shares belongs here).
"""
import itertools
import os
import re
from time import perf_counter
from typing import Final

from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.core.context import RequestContext
from gateway.errors import Overloaded
from gateway.http.asgi import CONTEXT, JSON, ROUTE
from gateway.http.endpoint import HotEndpoint, log_fault
from gateway.http.limits import Admission
from gateway.http.responses import error_response
from gateway.signals.access import AccessLog
from gateway.signals.metrics import Metrics
from gateway.signals.tracing import RequestTracer

# A client's id is echoed into logs and headers, so only plain tokens are taken.
_REQUEST_ID: Final = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,128}")
# The ALB's trace header (Root=1-...;Parent=...;Sampled=1), recorded on the access
# line whether tracing is on or not; anything else a client sends there is not.
TRACE_HEADER: Final = b"x-amzn-trace-id"
_TRACE_ID: Final = re.compile(rb"[A-Za-z0-9=;-]{1,256}")
REQUEST_ID_HEADER: Final = b"x-request-id"
CONTENT_TYPE: Final = b"content-type"
CONTENT_LENGTH: Final = b"content-length"
RELEASE_HEADER: Final = b"x-release"
UNMATCHED_ROUTE: Final = "unmatched"
# Seconds a client refused for load is asked to wait before trying again.
RETRY_AFTER: Final = (b"retry-after", b"1")


class Front:
    def __init__(
        self,
        app: ASGIApp,
        routes: list[Route],
        metrics: Metrics,
        access_log: AccessLog | None,
        release: str,
        admin: ASGIApp,
        admin_port: int,
        admission: Admission,
        shortcut: bool = True,
    ) -> None:
        self.app = app
        self.admin = admin
        self.admin_port = admin_port
        self.admission = admission
        # Every answer names the release that gave it: a deploy's smoke test
        # checks that the new release, not a rolled-back one, is answering.
        self.release = (RELEASE_HEADER, release.encode())
        self.metrics = metrics
        self.access_log = access_log
        # Set by the lifespan when GATEWAY_TRACE_RATIO > 0 (gateway.signals.tracing); None costs nothing.
        self.tracer: RequestTracer | None = None
        hot = [r for r in routes if isinstance(r.endpoint, HotEndpoint) and r.methods == {"POST"}] if shortcut else []
        self.hot = {route.path: route for route in hot if not route.param_convertors}
        self.hot_patterns = [route for route in hot if route.param_convertors]
        # Request ids: a per-process random prefix and a counter, unique across
        # tasks and restarts, and a fraction of the cost of a uuid4 per request.
        prefix = os.urandom(6).hex().encode()
        self._ids = (b"%s-%x" % (prefix, n) for n in itertools.count(1))

    def _refuse_skipped_middleware(self) -> None:
        """Starlette middleware would wrap every route but the short-cut ones, which
        the front door answers before Starlette sees them: a CORS or auth middleware
        added there would silently skip /predict. So none may be added while there is
        a shortcut; a concern every route shares belongs here, in the front door."""
        added = getattr(self.app, "user_middleware", [])
        if added and (self.hot or self.hot_patterns):
            names = ", ".join(getattr(m.cls, "__name__", repr(m.cls)) for m in added)
            raise RuntimeError(
                f"Starlette middleware ({names}) would not run for the front door's routes "
                f"({', '.join(sorted(self.hot) + [r.path for r in self.hot_patterns])}); "
                "add the concern to gateway.http.front.Front instead"
            )

    def _hot_pattern(self, scope: Scope) -> Route | None:
        """The hot route whose path has parameters (v2 infer) that matches, with the
        parameters set in the scope as Starlette's router sets them."""
        path = scope["path"]
        for route in self.hot_patterns:
            match = route.path_regex.match(path)
            if match:
                convertors = route.param_convertors
                scope["path_params"] = {key: convertors[key].convert(value) for key, value in match.groupdict().items()}
                return route
        return None

    def _identify(self, given: bytes | None, trace: bytes | None) -> tuple[bytes, bytes | None]:
        """The request id (the client's, when it is a plain token, else a new one) and
        the load balancer's trace id, if it sent a well-formed one."""
        if given is None or not _REQUEST_ID.fullmatch(given):
            given = next(self._ids)
        if trace is not None and not _TRACE_ID.fullmatch(trace):
            trace = None
        return given, trace

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                self._refuse_skipped_middleware()
            await self.app(scope, receive, send)
            return
        started = perf_counter()
        # One pass over the headers finds what the front door and a hot endpoint read
        # (the first of each, as `asgi.header` would).
        given = trace = content_type = length = None
        for key, value in scope["headers"]:
            if key == CONTENT_TYPE:
                content_type = value if content_type is None else content_type
            elif key == CONTENT_LENGTH:
                length = value if length is None else length
            elif key == REQUEST_ID_HEADER:
                given = value if given is None else given
            elif key == TRACE_HEADER:
                trace = value if trace is None else trace
        request_id, trace = self._identify(given, trace)
        context = scope[CONTEXT] = RequestContext(request_id, started)
        method, path = scope["method"], scope["path"]
        server = scope.get("server")
        admission = self.admission
        tracer, span, route = self.tracer, None, None
        if server is not None and server[1] == self.admin_port:
            status = await self._delegate(self.admin, scope, receive, send, request_id)
            route = scope.get(ROUTE)
        elif not admission.admit(path):
            error = Overloaded(f"{admission.limit} requests are in progress already; retry shortly")
            status, payload = error_response(error)
            headers = [(b"content-type", JSON), (b"content-length", b"%d" % len(payload)), RETRY_AFTER,
                       (REQUEST_ID_HEADER, request_id), self.release]
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": payload})
        else:
            # Probes (/health, /live) are not traced: a load balancer's every 10 s would drown the traces.
            if tracer is not None and path not in admission.exempt:
                span = context.span = tracer.start(scope, trace)
            admission.in_progress += 1
            try:
                if method == "POST":
                    route = self.hot.get(path) or (self._hot_pattern(scope) if self.hot_patterns else None)
                if route is not None:
                    scope[ROUTE] = route
                    status = await route.endpoint.answer(scope, receive, send,
                                                         ((REQUEST_ID_HEADER, request_id), self.release),
                                                         context, content_type, length)
                else:
                    status = await self._delegate(self.app, scope, receive, send, request_id)
                    route = scope.get(ROUTE)  # the one Starlette's router matched, if any
            finally:
                admission.in_progress -= 1
        elapsed = perf_counter() - started
        if span is not None:
            tracer.end(span, method, route.path if route else None,  # type: ignore[union-attr]
                       status, request_id)
        self.metrics.observe_request(route.path if route else UNMATCHED_ROUTE, method, status, elapsed)
        if self.access_log is not None:
            self.access_log.record(method, path, status, elapsed, request_id, trace)

    async def _delegate(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send, request_id: bytes) -> int:
        """Run `app` with the shared headers added to its answer; return the status it sent."""
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), (REQUEST_ID_HEADER, request_id), self.release]
            await send(message)

        try:
            await app(scope, receive, send_with_id)
        except Exception as error:
            # Starlette has already sent its 500 (our JSON one) and re-raised for the
            # server to log; the traceback is logged here, once, with the request id.
            log_fault(scope)
            if not started:
                code, payload = error_response(error)
                head = {"type": "http.response.start", "status": code, "headers": [(b"content-type", JSON)]}
                await send_with_id(head)
                await send_with_id({"type": "http.response.body", "body": payload})
        return status
