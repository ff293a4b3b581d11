"""The model card the benchmarks and the rehearsal take their rows from: the committed
default (Iris), whose model the original design is measured against."""
import json
from pathlib import Path
from typing import Any, Final

from gateway.model.contract import CARD_SCHEMA_VERSION

DEFAULT_CARD: Final = Path(__file__).resolve().parents[1] / "models" / "iris.json"


def load(path: Path = DEFAULT_CARD) -> dict[str, Any]:
    document = json.loads(path.read_text())
    if document.get("schema_version") != CARD_SCHEMA_VERSION:
        found = document.get("schema_version")
        raise SystemExit(f"{path} has card schema {found!r}; bench/ reads {CARD_SCHEMA_VERSION}")
    return document


def example_row(card: dict[str, Any]) -> list[Any]:
    """The card's first example row (a typical row of the first class)."""
    return list(card["examples"][0]["features"])


def predict_body(card: dict[str, Any]) -> bytes:
    """A single-row /predict body for the card's model."""
    return json.dumps({"features": example_row(card)}).encode()
