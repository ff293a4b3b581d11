"""Small helpers for endpoints written against ASGI directly (the hot paths).

Starlette's Request and Response objects cost more per call than the model
itself; the prediction routes speak ASGI and use these instead.
"""
import asyncio
from typing import Final

from starlette.types import Receive, Scope

from gateway.errors import InvalidInput, PayloadTooLarge

JSON: Final = b"application/json"
# The ASGI scope keys the HTTP layer writes and reads; nothing else spells them.
# The request's gateway.core.context.RequestContext, set by the front door:
CONTEXT: Final = "gateway.context"
# The route that matched: Starlette's router records it there, and the front door
# does the same for the routes it answers itself.
ROUTE: Final = "route"


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a header; `name` in lower case, as ASGI gives names."""
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


def media_type(content_type: bytes | None) -> bytes | None:
    """A Content-Type's media type without parameters, lower-cased; None without one."""
    if content_type is None or content_type == JSON:  # the common case, as it is
        return content_type
    return content_type.split(b";", 1)[0].strip().lower()


def is_json(media: bytes | None) -> bool:
    """application/json, or a structured-syntax JSON type such as application/problem+json."""
    return media is not None and (media == JSON or (media.startswith(b"application/") and media.endswith(b"+json")))


async def read_body(receive: Receive, declared: bytes | None, limit: int, setting: str) -> bytes:
    """The whole body, refused with 413 as soon as it is known to exceed `limit`:
    from the Content-Length `declared` before reading, or while reading a body sent
    without one (or with one that lies), so an oversized body is never buffered whole.
    The 413's message names `setting`, the variable that sets `limit`."""
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise InvalidInput("Content-Length is not a number") from None
        if length > limit:
            raise PayloadTooLarge(f"request body of {length} bytes exceeds {limit} bytes ({setting})")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise InvalidInput("client disconnected before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        more = message.get("more_body", False)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds {limit} bytes ({setting})", more)
        if not more and not chunks:
            return chunk  # nearly every body: one message, and no list built for it
        chunks.append(chunk)
        if not more:
            return b"".join(chunks)


async def discard_body(scope: Scope, receive: Receive, max_bytes: int, max_seconds: float) -> int:
    """Read and drop what the client is still sending, within both bounds; return the bytes dropped.

    Closing a socket with unread data in its receive buffer makes the kernel send a
    reset, and a client still writing its body (Python's urllib, for one) then loses
    the response it has not yet read. nginx's lingering close does the same.
    """
    if (header(scope, b"expect") or b"").lower() == b"100-continue":
        return 0  # the client waits for our answer before sending: nothing is on its way
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max_seconds
    dropped = 0
    while dropped <= max_bytes:
        try:
            message = await asyncio.wait_for(receive(), deadline - loop.time())
        except asyncio.TimeoutError:
            break
        if message["type"] != "http.request":
            break
        dropped += len(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return dropped
