"""Tabular rows in the two shapes a model sees them: scikit-learn's and onnxruntime's.

Numbers are float32 from the start: it is what the ONNX graph computes in, so
scikit-learn and onnxruntime see exactly the same numbers everywhere downstream.
Categories are strings. A model with only numbers takes one FP32 tensor named
`input`; a model with a category column takes one tensor per column, named for it.
A gap is NaN in a number column and MISSING_CATEGORY in a category column.
"""
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from gateway.model.contract import INPUT_NAME, MISSING_CATEGORY
from export.spec import Feature

FIT_DTYPE: Final = np.float64
"""What a numbers-only estimator is fitted on (an exact widening of float32): on
float32 input scikit-learn's linear models compute in float32, and no solver then
reaches the same weights under different BLAS kernels."""


def json_number(value: Any) -> float:
    """A float32 as the shortest decimal that reads back as the same float32
    (7.7, not 7.699999809265137; 0.038075905, not a rounding that loses digits)."""
    return float(repr(np.float32(value)).removeprefix("np.float32(").removesuffix(")"))


@dataclass(frozen=True)
class Schema:
    features: tuple[Feature, ...]

    @property
    def names(self) -> list[str]:
        return [feature.name for feature in self.features]

    @property
    def numbers(self) -> list[str]:
        return [feature.name for feature in self.features if feature.kind == "number"]

    @property
    def categories(self) -> list[str]:
        return [feature.name for feature in self.features if feature.kind == "category"]

    @property
    def per_column(self) -> bool:
        """One ONNX input per column (a category is a string tensor), else one FP32 input."""
        return bool(self.categories)


@dataclass(frozen=True)
class Rows:
    schema: Schema
    numbers: np.ndarray
    """float32, (rows, number columns), in the schema's order."""
    categories: np.ndarray
    """str objects, (rows, category columns), in the schema's order."""

    def __post_init__(self) -> None:
        numbers = np.asarray(self.numbers, dtype=np.float32).reshape(-1, len(self.schema.numbers))
        object.__setattr__(self, "numbers", numbers)
        object.__setattr__(self, "categories", np.asarray(self.categories, dtype=object).reshape(len(self.numbers), -1))

    def __len__(self) -> int:
        return len(self.numbers)

    def take(self, index: Any) -> "Rows":
        return Rows(self.schema, self.numbers[index], self.categories[index])

    def concat(self, other: "Rows") -> "Rows":
        return Rows(
            self.schema,
            np.concatenate([self.numbers, other.numbers]),
            np.concatenate([self.categories, other.categories]),
        )

    def for_estimator(self, fit: bool = False) -> Any:
        """What scikit-learn is given: an array of numbers, or a DataFrame named by column."""
        if not self.schema.per_column:
            # Predictions are asked on the float32 rows onnxruntime gets.
            return self.numbers.astype(FIT_DTYPE) if fit else self.numbers
        import pandas  # only models with a category column need it

        columns = {}
        numbers, categories = iter(self.numbers.T), iter(self.categories.T)
        for feature in self.schema.features:
            columns[feature.name] = (
                next(numbers).astype(FIT_DTYPE) if feature.kind == "number" else next(categories).astype(object)
            )
        return pandas.DataFrame(columns)

    def for_onnx(self) -> dict[str, np.ndarray]:
        if not self.schema.per_column:
            return {INPUT_NAME: np.ascontiguousarray(self.numbers)}
        feeds = {}
        numbers, categories = iter(self.numbers.T), iter(self.categories.T)
        for feature in self.schema.features:
            column = next(numbers) if feature.kind == "number" else next(categories)
            feeds[feature.name] = np.ascontiguousarray(column.reshape(-1, 1))
        return feeds

    def missing(self) -> np.ndarray:
        """bool, (rows, features) in the schema's order: where a cell is a gap."""
        gaps = np.zeros((len(self), len(self.schema.features)), dtype=bool)
        numbers, categories = iter(np.isnan(self.numbers).T), iter((self.categories == MISSING_CATEGORY).T)
        for position, feature in enumerate(self.schema.features):
            gaps[:, position] = next(numbers) if feature.kind == "number" else next(categories)
        return gaps

    def with_gaps(self, gaps: np.ndarray) -> "Rows":
        """A copy with the cells `gaps` marks (bool, (rows, features)) made missing."""
        numbers, categories = self.numbers.copy(), self.categories.copy()
        number_at = {name: i for i, name in enumerate(self.schema.numbers)}
        category_at = {name: i for i, name in enumerate(self.schema.categories)}
        for position, feature in enumerate(self.schema.features):
            if feature.kind == "number":
                numbers[gaps[:, position], number_at[feature.name]] = np.nan
            else:
                categories[gaps[:, position], category_at[feature.name]] = MISSING_CATEGORY
        return Rows(self.schema, numbers, categories)

    def row(self, index: int) -> list[Any]:
        """One row as JSON values in the schema's order (numbers as `json_number`s, a gap as None: null)."""
        numbers, categories = iter(self.numbers[index]), iter(self.categories[index])
        values: list[Any] = []
        for feature in self.schema.features:
            if feature.kind == "number":
                number = next(numbers)
                values.append(None if np.isnan(number) else json_number(number))
            else:
                category = next(categories)
                values.append(None if category == MISSING_CATEGORY else str(category))
        return values
