"""The prediction endpoints' shared ASGI half.

A HotEndpoint is a real ASGI endpoint, routed by Starlette like any other: it
reads the body within the size limit and the deadline, hands it to `handle`, and
answers 200 with what `handle` returns or, for any error, the error's status and
`{"error": "..."}` (gateway.http.responses). It speaks ASGI directly because
Starlette's Request and Response objects cost more per call than the model
itself. It sits below both the front door and the routes (gateway.api), so
imports point inwards only (api -> http.endpoint <- http.front).
"""
import asyncio
import logging
from typing import Final, Iterable

from starlette.types import Receive, Scope, Send

from gateway.core.service import Service
from gateway.errors import BodyTimeout, GatewayError, ModelFault, PayloadTooLarge
from gateway.core.context import RequestContext
from gateway.http.asgi import CONTEXT, JSON, discard_body, header, read_body
from gateway.http.limits import BodyDeadlines
from gateway.http.responses import error_response
from gateway.settings import env_name
from gateway.signals.access import printable

# After a 413, what the client still sends is read and dropped up to these bounds,
# so that it reads the answer instead of a connection reset (asgi.discard_body).
LINGER_BYTES: Final = 64 * 1024 * 1024
LINGER_SECONDS: Final = 10.0
CLOSE: Final = (b"connection", b"close")
MAX_BODY_SETTING: Final = env_name("max_body_bytes")

error_logger = logging.getLogger("gateway.errors")


def log_fault(scope: Scope) -> None:
    """A real server fault: the traceback goes to the log, never to the client."""
    context = scope.get(CONTEXT)
    request_id = "-" if context is None else context.request_id.decode()
    error_logger.exception(
        "unhandled error in %s %s id=%s", printable(scope["method"]), printable(scope["path"]), request_id
    )


class HotEndpoint:
    """A POST endpoint: body in, 200 reply out, or a GatewayError."""

    def __init__(self, service: Service, deadlines: BodyDeadlines) -> None:
        self.service = service
        self.deadlines = deadlines

    def handle(self, scope: Scope, body: bytes, content_type: bytes | None,
               context: RequestContext) -> tuple[bytes, bytes, Iterable[tuple[bytes, bytes]]]:
        """Return (content type, body, extra headers) of a 200 reply to a request
        whose Content-Type header is `content_type`."""
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.answer(scope, receive, send, (), scope[CONTEXT], header(scope, b"content-type"),
                          header(scope, b"content-length"))

    async def answer(self, scope: Scope, receive: Receive, send: Send, shared: Iterable[tuple[bytes, bytes]],
                     context: RequestContext, content_type: bytes | None, length: bytes | None) -> int:
        """Answer the request with `shared` headers added; return the status sent.
        `content_type` and `length`: its Content-Type and Content-Length headers, which
        the front door's one pass over the headers found. (The front door's shortcut
        calls this directly: no wrapper around `send`.)"""
        linger = False
        deadlines = self.deadlines
        try:
            # The body, within the size limit and the deadline (gateway.http.limits).
            task = deadlines.current_task()
            deadlines.start(task, context.started)
            try:
                body = await read_body(receive, length, self.service.settings.max_body_bytes, MAX_BODY_SETTING)
            except asyncio.CancelledError:
                if not deadlines.timed_out(task):
                    raise
                raise BodyTimeout(f"the request body did not arrive within {deadlines.seconds:g} s") from None
            finally:
                deadlines.stop(task)
            reply_type, payload, extra = self.handle(scope, body, content_type, context)
            status = 200
        except Exception as error:
            if not isinstance(error, GatewayError) or isinstance(error, ModelFault):
                log_fault(scope)
            (status, payload), reply_type, extra = error_response(error), JSON, ()
            if isinstance(error, PayloadTooLarge) and error.unread_body:
                linger, extra = True, (CLOSE,)
            elif isinstance(error, BodyTimeout):
                extra = (CLOSE,)  # what is left of the body may still come: not a request
        headers = [(b"content-type", reply_type), (b"content-length", b"%d" % len(payload)), *extra, *shared]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        if not linger:
            await send({"type": "http.response.body", "body": payload})
            return status
        # The answer goes out whole at once (a client reading while it sends stops
        # there); the response is completed, and the connection closed, only once
        # the rest of the body has been drained.
        await send({"type": "http.response.body", "body": payload, "more_body": True})
        await discard_body(scope, receive, LINGER_BYTES, LINGER_SECONDS)
        await send({"type": "http.response.body", "body": b""})
        return status
