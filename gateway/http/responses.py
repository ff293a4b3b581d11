"""The one place where errors become HTTP responses: a status and `{"error": "..."}`.

Both paths use it: the front door's hot endpoints and Starlette's exception
handlers (gateway.app). The statuses are decided here and nowhere else.
"""
from typing import Final

import orjson

from gateway.errors import (
    BodyTimeout,
    GatewayError,
    InvalidInput,
    ModelFault,
    NotReady,
    Overloaded,
    PayloadTooLarge,
    UnknownModel,
    UnsupportedMediaType,
)

INTERNAL_ERROR: Final = "internal server error"
# Most specific first: the first class an error is an instance of decides.
STATUS: Final[tuple[tuple[type[GatewayError], int], ...]] = (
    (InvalidInput, 400),
    (UnknownModel, 404),
    (BodyTimeout, 408),
    (PayloadTooLarge, 413),
    (UnsupportedMediaType, 415),
    (ModelFault, 500),
    (NotReady, 503),
    (Overloaded, 503),
)


def error_body(message: str, **extra: object) -> bytes:
    """The one shape of every error response; `extra` adds fields (a readiness phase)."""
    return orjson.dumps({"error": message, **extra})


def not_ready_body(phase: str, **extra: object) -> bytes:
    """A readiness route's 503 body, in the same shape, with the route's own fields."""
    return error_body(f"not ready: {phase}", **extra)


def status_of(error: GatewayError) -> int:
    return next((status for kind, status in STATUS if isinstance(error, kind)), 500)


def error_response(error: BaseException) -> tuple[int, bytes]:
    """Status and body for any exception. Only a GatewayError's message reaches the
    client, and never a ModelFault's: anything else is a generic 500 (its traceback is
    the caller's to log)."""
    if isinstance(error, GatewayError) and not isinstance(error, ModelFault):
        return status_of(error), error_body(error.message)
    return 500, error_body(INTERNAL_ERROR)
