"""The outermost ASGI app: the front door every request passes.

For every request it takes or makes a request id, times the request, counts it in
the metrics and writes one access-log line. A request that arrived on the admin
port goes to the admin app; on the public port, requests beyond the in-progress
limit are refused with 503 (gateway.limits), POSTs to the prediction routes are
answered here directly, and everything else is handed to Starlette.

Why the prediction routes skip Starlette: for one Iris row, Starlette's request
and response objects, router and middleware cost several times what the model
does. Measured on one core (bench/): Starlette on the hot path ~9,800 requests/s,
this direct path well above that; see bench/results.md. The routes are still
declared once, in Starlette's route list (which answers 405 for a GET on them and
feeds the OpenAPI document); this only short-cuts their exact POST paths.
"""
import asyncio
import itertools
import logging
import os
import re
import time
from typing import Final, Iterable

from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.endpoint import HotEndpoint
from gateway.asgi import JSON, discard_body, header, read_body
from gateway.errors import BodyTimeout, GatewayError, ModelFault, Overloaded, PayloadTooLarge
from gateway.limits import Admission, BodyDeadlines
from gateway.responses import error_response
from gateway.access import AccessLog, printable
from gateway.metrics import Metrics

# A client's id is echoed into logs and headers, so only plain tokens are taken.
_REQUEST_ID: Final = re.compile(rb"[A-Za-z0-9._:@/+=-]{1,128}")
REQUEST_ID_HEADER: Final = b"x-request-id"
RELEASE_HEADER: Final = b"x-release"
UNMATCHED_ROUTE: Final = "unmatched"
# After a 413, what the client still sends is read and dropped up to these bounds,
# so that it reads the answer instead of a connection reset (asgi.discard_body).
LINGER_BYTES: Final = 64 * 1024 * 1024
LINGER_SECONDS: Final = 10.0
CLOSE: Final = (b"connection", b"close")
# Seconds a client refused for load is asked to wait before trying again.
RETRY_AFTER: Final = (b"retry-after", b"1")

error_logger = logging.getLogger("gateway.errors")


def _log_fault(scope: Scope, request_id: bytes) -> None:
    """A real server fault: the traceback goes to the log, never to the client."""
    error_logger.exception(
        "unhandled error in %s %s id=%s", printable(scope["method"]), printable(scope["path"]), request_id.decode()
    )


class Front:
    def __init__(
        self,
        app: ASGIApp,
        routes: list[Route],
        metrics: Metrics,
        access_log: AccessLog | None,
        max_body_bytes: int,
        release: str,
        admin: ASGIApp,
        admin_port: int,
        admission: Admission,
        deadlines: BodyDeadlines,
    ) -> None:
        self.app = app
        self.admin = admin
        self.admin_port = admin_port
        self.admission = admission
        self.deadlines = deadlines
        # Every answer names the release that gave it: a deploy's smoke test
        # checks that the new release, not a rolled-back one, is answering.
        self.release = (RELEASE_HEADER, release.encode())
        self.metrics = metrics
        self.access_log = access_log
        self.max_body_bytes = max_body_bytes
        hot = [r for r in routes if isinstance(r.endpoint, HotEndpoint) and r.methods == {"POST"}]
        self.hot = {route.path: route for route in hot if not route.param_convertors}
        self.hot_patterns = [route for route in hot if route.param_convertors]
        # Request ids: a per-process random prefix and a counter, unique across
        # tasks and restarts, and a fraction of the cost of a uuid4 per request.
        prefix = os.urandom(6).hex().encode()
        self._ids = (b"%s-%x" % (prefix, n) for n in itertools.count(1))

    def _refuse_skipped_middleware(self) -> None:
        """Starlette middleware would wrap every route but the hot ones, which the
        front door answers before Starlette sees them: a CORS or auth middleware
        added there would silently skip /predict. So none may be added; a concern
        every route shares belongs here, in the front door."""
        added = getattr(self.app, "user_middleware", [])
        if added:
            names = ", ".join(getattr(m.cls, "__name__", repr(m.cls)) for m in added)
            raise RuntimeError(
                f"Starlette middleware ({names}) would not run for the front door's routes "
                f"({', '.join(sorted(self.hot) + [r.path for r in self.hot_patterns])}); "
                "add the concern to gateway.front.Front instead"
            )

    def _hot_route(self, scope: Scope) -> Route | None:
        path = scope["path"]
        route = self.hot.get(path)
        if route is not None:
            return route
        for route in self.hot_patterns:
            match = route.path_regex.match(path)
            if match:
                convertors = route.param_convertors
                scope["path_params"] = {key: convertors[key].convert(value) for key, value in match.groupdict().items()}
                return route
        return None

    def _request_id(self, scope: Scope) -> bytes:
        given = header(scope, REQUEST_ID_HEADER)
        if given is not None and _REQUEST_ID.fullmatch(given):
            return given
        return next(self._ids)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                self._refuse_skipped_middleware()
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = self._request_id(scope)
        scope["request_id"] = request_id
        server = scope.get("server")
        admission = self.admission
        if server is not None and server[1] == self.admin_port:
            status = await self._delegate(self.admin, scope, receive, send, request_id)
        elif not admission.admit(scope["path"]):
            error = Overloaded(f"{admission.limit} requests are in progress already; retry shortly")
            status = await self._reply(send, *error_response(error), JSON, request_id, (RETRY_AFTER,))
        else:
            admission.in_progress += 1
            try:
                route = self._hot_route(scope) if scope["method"] == "POST" else None
                if route is not None:
                    scope["route"] = route
                    status = await self._answer(route.endpoint, scope, receive, send, request_id, started)
                else:
                    status = await self._delegate(self.app, scope, receive, send, request_id)
            finally:
                admission.in_progress -= 1
        elapsed = time.perf_counter() - started
        route = scope.get("route")
        self.metrics.observe_request(route.path if route else UNMATCHED_ROUTE, scope["method"], status, elapsed)
        if self.access_log is not None:
            self.access_log.record(scope["method"], scope["path"], status, elapsed, request_id)

    async def _read_body(self, scope: Scope, receive: Receive, started: float) -> bytes:
        """The body within the size limit and the deadline (see gateway.limits)."""
        task = asyncio.current_task()
        assert task is not None
        deadlines = self.deadlines
        deadlines.start(task, started)
        try:
            return await read_body(scope, receive, self.max_body_bytes)
        except asyncio.CancelledError:
            if not deadlines.timed_out(task):
                raise
            raise BodyTimeout(f"the request body did not arrive within {deadlines.seconds:g} s") from None
        finally:
            deadlines.stop(task)

    async def _answer(
        self, endpoint: HotEndpoint, scope: Scope, receive: Receive, send: Send, request_id: bytes, started: float
    ) -> int:
        linger = False
        try:
            body = await self._read_body(scope, receive, started)
            content_type, payload, extra = endpoint.handle(scope, body)
            status = 200
        except Exception as error:
            if not isinstance(error, GatewayError) or isinstance(error, ModelFault):
                _log_fault(scope, request_id)
            (status, payload), content_type, extra = error_response(error), JSON, ()
            if isinstance(error, PayloadTooLarge) and error.unread_body:
                linger, extra = True, (CLOSE,)
            elif isinstance(error, BodyTimeout):
                extra = (CLOSE,)  # what is left of the body may still come: not a request
        if not linger:
            return await self._reply(send, status, payload, content_type, request_id, extra)
        headers = self._headers(content_type, payload, request_id, extra)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        # The answer goes out whole at once (a client reading while it sends stops
        # there); the response is completed, and the connection closed, only once
        # the rest of the body has been drained.
        await send({"type": "http.response.body", "body": payload, "more_body": True})
        await discard_body(scope, receive, LINGER_BYTES, LINGER_SECONDS)
        await send({"type": "http.response.body", "body": b""})
        return status

    def _headers(
        self, content_type: bytes, payload: bytes, request_id: bytes, extra: Iterable[tuple[bytes, bytes]]
    ) -> list[tuple[bytes, bytes]]:
        return [
            (b"content-type", content_type),
            (b"content-length", b"%d" % len(payload)),
            (REQUEST_ID_HEADER, request_id),
            self.release,
            *extra,
        ]

    async def _reply(
        self, send: Send, status: int, payload: bytes, content_type: bytes, request_id: bytes,
        extra: Iterable[tuple[bytes, bytes]],
    ) -> int:
        """A whole response in two messages."""
        headers = self._headers(content_type, payload, request_id, extra)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
        return status

    async def _delegate(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send, request_id: bytes) -> int:
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
            _log_fault(scope, request_id)
            if not started:
                code, payload = error_response(error)
                head = {"type": "http.response.start", "status": code, "headers": [(b"content-type", JSON)]}
                await send_with_id(head)
                await send_with_id({"type": "http.response.body", "body": payload})
        return status
