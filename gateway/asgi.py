"""Small helpers for endpoints written against ASGI directly (the hot paths).

Starlette's Request and Response objects cost more per call than the model
itself; the prediction routes speak ASGI and use these instead.
"""
from typing import Final

from starlette.types import Receive, Scope

from gateway.errors import BadRequest, PayloadTooLarge

JSON: Final = b"application/json"


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of a header; `name` in lower case, as ASGI gives names."""
    for key, value in scope["headers"]:
        if key == name:
            return value
    return None


def media_type(scope: Scope) -> bytes | None:
    """The request's media type without parameters, lower-cased; None without a Content-Type."""
    content_type = header(scope, b"content-type")
    return None if content_type is None else content_type.split(b";", 1)[0].strip().lower()


def is_json(media: bytes | None) -> bool:
    """application/json, or a structured-syntax JSON type such as application/problem+json."""
    return media is not None and (media == JSON or (media.startswith(b"application/") and media.endswith(b"+json")))


async def read_body(scope: Scope, receive: Receive, limit: int) -> bytes:
    """The whole body, refused with 413 as soon as it is known to exceed `limit`:
    from Content-Length before reading, or while reading a body sent without one
    (or with one that lies), so an oversized body is never buffered whole."""
    declared = header(scope, b"content-length")
    if declared is not None:
        try:
            length = int(declared)
        except ValueError:
            raise BadRequest("Content-Length is not a number") from None
        if length > limit:
            raise PayloadTooLarge(f"request body of {length} bytes exceeds the limit of {limit} bytes")
    chunks = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequest("client disconnected before sending the whole body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
        more = message.get("more_body", False)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)
