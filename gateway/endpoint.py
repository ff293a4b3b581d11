"""The contract of an endpoint the front door answers directly, and what such
endpoints share. It sits below both the front door and the routes, so imports
point inwards only (routes -> endpoint <- front)."""
from typing import Iterable

from starlette.types import Receive, Scope, Send

from gateway.card_reader import ModelCard

Headers = list[tuple[bytes, bytes]]


class HotEndpoint:
    """A POST endpoint the front door answers directly: body in, 200 reply out, or a GatewayError."""

    def handle(self, scope: Scope, body: bytes) -> tuple[bytes, bytes, Iterable[tuple[bytes, bytes]]]:
        """Return (content type, body, extra headers) of a 200 reply."""
        raise NotImplementedError

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # Only reached if a route is not short-cut (it always is for POST); kept so
        # the object is a valid ASGI endpoint in Starlette's route list.
        raise NotImplementedError


class ModelHeaders:
    """X-Model-Name, -Version and -Sha256 of a card, encoded once per loaded model."""

    def __init__(self) -> None:
        self._card: ModelCard | None = None
        self._headers: Headers = []

    def of(self, card: ModelCard) -> Headers:
        if card is not self._card:
            self._card, self._headers = card, [
                (b"x-model-name", card.name.encode()),
                (b"x-model-version", card.version.encode()),
                (b"x-model-sha256", card.sha256.encode()),
            ]
        return self._headers
