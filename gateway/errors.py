"""The gateway's error hierarchy, framework-free and without HTTP.

The core (codecs, the model) raises the domain errors; the HTTP layer raises the
transport ones. `gateway.responses` is the one place any of them becomes a status
and a `{"error": "..."}` body.
"""


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
        """Whether the client may still be sending: then the answer lingers (gateway.front)."""


class UnsupportedMediaType(GatewayError):
    """A body of a Content-Type the route does not read."""


class BodyTimeout(GatewayError):
    """The body did not arrive within the time allowed (gateway.limits)."""


class Overloaded(GatewayError):
    """As many requests as allowed are in progress already (gateway.limits)."""
