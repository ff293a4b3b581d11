"""The contract of an endpoint the front door answers directly, and what such
endpoints share. It sits below both the front door and the routes, so imports
point inwards only (routes -> endpoint <- front)."""
from typing import Callable, Generic, Iterable, TypeVar

from starlette.types import Receive, Scope, Send

from gateway.card_reader import ModelCard

Headers = list[tuple[bytes, bytes]]
K = TypeVar("K")
V = TypeVar("V")


class HotEndpoint:
    """A POST endpoint the front door answers directly: body in, 200 reply out, or a GatewayError."""

    def handle(self, scope: Scope, body: bytes) -> tuple[bytes, bytes, Iterable[tuple[bytes, bytes]]]:
        """Return (content type, body, extra headers) of a 200 reply."""
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Only reached if a route is not short-cut (it always is for POST); kept so
        # the object is a valid ASGI endpoint in Starlette's route list.
        raise NotImplementedError


class PerModel(Generic[K, V]):
    """A value derived from the loaded model (or its card), built on first use and
    again only if another model is loaded: work kept off the hot path."""

    def __init__(self, build: Callable[[K], V]) -> None:
        self._build = build
        self._key: K | None = None
        self._value: V | None = None

    def of(self, key: K) -> V:
        if key is not self._key or self._value is None:
            self._key, self._value = key, self._build(key)
        return self._value


def model_headers(card: ModelCard) -> Headers:
    """X-Model-Name, -Version and -Sha256: which model answered."""
    return [
        (b"x-model-name", card.name.encode()),
        (b"x-model-version", card.version.encode()),
        (b"x-model-sha256", card.sha256.encode()),
    ]
