"""The gateway's error hierarchy. Framework-free: each error carries its HTTP status,
and one handler (gateway.app) turns any of them into `{"error": "..."}`."""
from typing import ClassVar

import orjson


class GatewayError(Exception):
    status: ClassVar[int] = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(GatewayError):
    status = 400


class NotFound(GatewayError):
    status = 404


class MethodNotAllowed(GatewayError):
    status = 405


class PayloadTooLarge(GatewayError):
    status = 413

    def __init__(self, message: str, unread_body: bool = True) -> None:
        super().__init__(message)
        self.unread_body = unread_body
        """Whether the client may still be sending: then the answer lingers (gateway.front)."""


class UnsupportedMediaType(GatewayError):
    status = 415


class NotReady(GatewayError):
    status = 503


def error_body(message: str) -> bytes:
    """The one shape of every error response."""
    return orjson.dumps({"error": message})
