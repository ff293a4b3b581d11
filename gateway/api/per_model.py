"""What the endpoints derive from the loaded model, once per model: work kept off
the hot path."""
from typing import Callable, Generic, TypeVar

from gateway.model.card import ModelCard

Headers = list[tuple[bytes, bytes]]
K = TypeVar("K")
V = TypeVar("V")


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
