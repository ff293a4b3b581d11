"""The model card as the gateway needs it: identity, classes, the training range and the proven region."""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np

# The card schema this gateway reads (export/card_writer.py writes it). Another
# version is refused at start-up rather than half understood.
CARD_SCHEMA_VERSION: Final = 2


@dataclass(frozen=True)
class ModelCard:
    name: str
    version: str
    sha256: str
    features: tuple[str, ...]
    classes: tuple[str, ...]
    feature_min: np.ndarray
    feature_max: np.ndarray
    parity_min: np.ndarray
    parity_max: np.ndarray
    """The box where the export's parity gate proved the model at its strict tolerance."""
    document: dict[str, Any]
    """The card as written by the export stage, served as is to humans."""

    @property
    def examples(self) -> list[tuple[str, list[float]]]:
        """(class, row): one typical training row per class, for the API's examples;
        none in a card written before the export stage recorded them."""
        return [(str(example["class"]), list(example["features"])) for example in self.document.get("examples", ())]

    @classmethod
    def load(cls, path: Path) -> "ModelCard":
        document = json.loads(path.read_text())
        found = document.get("schema_version") if isinstance(document, dict) else None
        if found != CARD_SCHEMA_VERSION:
            raise ValueError(
                f"model card {path} has schema_version {found!r}; this gateway reads {CARD_SCHEMA_VERSION}")
        try:
            return cls(
                name=str(document["name"]),
                version=str(document["version"]),
                sha256=str(document["onnx"]["sha256"]),
                features=tuple(document["features"]),
                classes=tuple(document["classes"]),
                feature_min=np.asarray(document["feature_range"]["min"], dtype=np.float32),
                feature_max=np.asarray(document["feature_range"]["max"], dtype=np.float32),
                parity_min=np.asarray(document["parity_region"]["box"]["min"], dtype=np.float32),
                parity_max=np.asarray(document["parity_region"]["box"]["max"], dtype=np.float32),
                document=document,
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"model card {path} lacks {error}") from None
