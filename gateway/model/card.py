"""The model card as the gateway needs it: identity, task, columns, classes, the
training range and the proven region."""
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gateway.model.contract import CARD_SCHEMA_VERSION


@dataclass(frozen=True)
class Column:
    name: str
    kind: str
    """"number" or "category"."""
    categories: frozenset[str] = frozenset()
    """A category column's values seen in training."""
    refuses_unseen: bool = False
    """Whether the pipeline refuses a category it never saw (handle_unknown="error"),
    rather than answering it: the gateway then refuses it too."""
    takes_gaps: bool = False
    """Whether the parity gate proved a missing value here ("missing": "accepted");
    a card without the field (an older export) proved none."""
    missing_reason: str | None = None
    """Why a gap scikit-learn answers is not served, where the card says."""


@dataclass(frozen=True)
class ModelCard:
    name: str
    version: str
    sha256: str
    task: str
    """"classification" or "regression"."""
    features: tuple[str, ...]
    columns: tuple[Column, ...]
    classes: tuple[str, ...]
    """A classifier's class names by label; empty for a regressor."""
    feature_min: np.ndarray
    """The training range of the number columns, in their order."""
    feature_max: np.ndarray
    parity_min: np.ndarray
    parity_max: np.ndarray
    """The box where the export's parity gate proved the model at its strict tolerance."""
    document: dict[str, Any]
    """The card as written by the export stage, served as is to humans."""

    @property
    def regression(self) -> bool:
        return self.task == "regression"

    @property
    def has_categories(self) -> bool:
        return any(column.kind == "category" for column in self.columns)

    @property
    def inputs(self) -> list[dict[str, Any]]:
        """The ONNX inputs: one FP32 `input`, or one tensor per column."""
        return list(self.document["tensors"]["inputs"])

    @property
    def outputs(self) -> list[dict[str, Any]]:
        return list(self.document["tensors"]["outputs"])

    @property
    def examples(self) -> list[tuple[str, list[Any]]]:
        """(what it shows, row): the card's example rows, for the API's examples and
        messages. Without them, the middle of the training range (a row the model has
        seen the like of; a category column's first category)."""
        examples = [
            (str(example["class"]) if "class" in example else f"predicted {example['prediction']:.4g}",
             list(example["features"]))
            for example in self.document.get("examples", ())
        ]
        if examples:
            return examples
        middle = iter([round(float(low + high) / 2, 2) for low, high in zip(self.feature_min, self.feature_max)])
        row = [next(middle) if c.kind == "number" else sorted(c.categories)[0] for c in self.columns]
        return [("the middle of the training range", row)]

    @classmethod
    def load(cls, path: Path) -> "ModelCard":
        document = json.loads(path.read_text())
        found = document.get("schema_version") if isinstance(document, dict) else None
        if found != CARD_SCHEMA_VERSION:
            raise ValueError(
                f"model card {path} has schema_version {found!r}; this gateway reads {CARD_SCHEMA_VERSION}")
        try:
            columns = tuple(
                Column(str(c["name"]), str(c["kind"]), frozenset(map(str, c.get("categories", ()))),
                       c.get("unseen") == "refused", c.get("missing") == "accepted", c.get("missing_reason"))
                for c in document["feature_columns"]
            )
            return cls(
                name=str(document["name"]),
                version=str(document["version"]),
                sha256=str(document["onnx"]["sha256"]),
                task=str(document.get("task", "classification")),
                features=tuple(document["features"]),
                columns=columns,
                classes=tuple(document.get("classes", ())),
                feature_min=np.asarray(document["feature_range"]["min"], dtype=np.float32),
                feature_max=np.asarray(document["feature_range"]["max"], dtype=np.float32),
                parity_min=np.asarray(document["parity_region"]["box"]["min"], dtype=np.float32),
                parity_max=np.asarray(document["parity_region"]["box"]["max"], dtype=np.float32),
                document=document,
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"model card {path} lacks {error}") from None
