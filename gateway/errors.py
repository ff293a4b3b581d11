"""The gateway's error hierarchy, framework-free and without HTTP.

The core (codecs, the model) raises the domain errors; the HTTP layer raises the
transport ones. `gateway.http.responses` is the one place any of them becomes a status
and a `{"error": "..."}` body.
"""
from typing import Any, Final


class GatewayError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# ---- domain: what the codecs and the model say ----

class InvalidInput(GatewayError):
    """The client's payload cannot be scored; the message says exactly why."""


class ModelFault(GatewayError):
    """The model failed on an input it accepted: a fault of ours, not the client's."""


class NotReady(GatewayError):
    """The model is not loaded, or the process is draining."""


class UnknownModel(GatewayError):
    """A path names a model or version this process does not serve."""


# ---- transport: what the HTTP layer says ----

class PayloadTooLarge(GatewayError):
    def __init__(self, message: str, unread_body: bool = True) -> None:
        super().__init__(message)
        self.unread_body = unread_body
        """Whether the client may still be sending: then the answer lingers (gateway.http.front)."""


class UnsupportedMediaType(GatewayError):
    """A body of a Content-Type the route does not read."""


class BodyTimeout(GatewayError):
    """The body did not arrive within the time allowed (gateway.http.limits)."""


class Overloaded(GatewayError):
    """As many requests as allowed are in progress already (gateway.http.limits)."""


# ---- how a message shows a client's value ----

def json_kind(value: Any) -> str:
    """What a decoded JSON value is, in JSON's words."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


# A client's string is quoted in a message up to this many characters.
SHOWN_CHARACTERS: Final = 40


def shown(value: Any) -> str:
    """A client's value as a message shows it: a string quoted and cut short, a number
    as written, anything else by its kind. Never recursive: a decoded JSON value may be
    nested 1,000 deep, past what repr() survives."""
    if isinstance(value, str):
        return repr(value if len(value) <= SHOWN_CHARACTERS else value[:SHOWN_CHARACTERS] + "...")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return json_kind(value)
