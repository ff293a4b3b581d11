"""/predict's JSON payloads (the original contract, and rows by name) <-> numpy. Pure
functions: no HTTP, no model session (the card gives the columns, as a Layout).

The fast path leans on numpy to validate in bulk; only a request already known to
be bad is walked element by element, to say exactly what is wrong with it.
"""
from dataclasses import dataclass
from typing import Any, Final, NamedTuple, Sequence

import numpy as np
import orjson

from gateway.codecs.json_values import FLOAT32_MAX, NUMBER_CELL_TYPES, NUMBER_TYPES, parse_json, plain_numbers
from gateway.errors import InvalidInput, json_kind, shown
from gateway.model.card import ModelCard
from gateway.model.contract import MISSING_CATEGORY


class PredictRequest(NamedTuple):
    # A NamedTuple, not a frozen dataclass: built on every request, and a frozen
    # dataclass pays an object.__setattr__ per field.
    rows: np.ndarray
    """float32, C-contiguous, shape (n, number columns), every value finite or NaN (a null: a gap)."""
    single: bool
    """True for {"features": [...]}, answered with the singular shape."""
    categories: np.ndarray | None = None
    """For a model with category columns: str objects, shape (n, category columns)."""
    gaps: bool = False
    """Whether a cell may be missing (NaN, or MISSING_CATEGORY): the model checks where."""


@dataclass(frozen=True)
class Layout:
    """The columns a request's rows hold, from the model card."""
    names: tuple[str, ...]
    kinds: tuple[str, ...]
    """"number" or "category", per column."""
    per_column: bool
    """Whether any column is a category (then rows are decoded column by column)."""
    example: str
    """A valid request, as messages show it: the card's first example row."""

    @classmethod
    def of(cls, names: Sequence[str], kinds: Sequence[str], example: Sequence[Any]) -> "Layout":
        return cls(tuple(names), tuple(kinds), "category" in kinds, orjson.dumps({"features": list(example)}).decode())

    @classmethod
    def of_card(cls, card: ModelCard) -> "Layout":
        """The card's columns, with its first example row as the request to show."""
        return cls.of(card.features, [column.kind for column in card.columns], card.examples[0][1])


def _column(position: int, names: Sequence[str] | None) -> str:
    """`position 2 (petal_length)`: where a value sits, by its column's name when known."""
    return f"position {position} ({names[position]})" if names and position < len(names) else f"position {position}"


def _explain(rows: Sequence[Any], n_features: int, field: str, single: bool, names: Sequence[str] | None) -> str:
    """Find the first bad element of rows that numpy refused, and say what it is."""
    for index, row in enumerate(rows):
        where = f'"{field}"' if single else f'"{field}" row {index}'
        if not isinstance(row, list):
            return f"{where} must be a list of {n_features} numbers, got {json_kind(row)}"
        if len(row) != n_features:
            return f"{where} must hold {n_features} numbers, got {len(row)}"
        for position, value in enumerate(row):
            if value is None:
                continue  # a gap: the model says whether it takes one there
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                return f"{where} {_column(position, names)} must be a number, got {json_kind(value)}"
            if not abs(value) <= FLOAT32_MAX:
                return f"{where} {_column(position, names)} is {value}, outside the float32 range (±3.4e38)"
    return f'"{field}" must hold only finite numbers'


def row_list(value: Any, field: str, single: bool, max_rows: int, one_row: str) -> list[Any]:
    """The rows of "features" (one row, which must be `one_row`) or "instances": a
    non-empty list of at most `max_rows`, or InvalidInput saying why not."""
    if not isinstance(value, list):
        raise InvalidInput(f'"{field}" must be {one_row if single else "a list of rows"}, got {json_kind(value)}')
    rows = [value] if single else value
    if not rows:
        raise InvalidInput(f'"{field}" must hold at least one row')
    if len(rows) > max_rows:
        raise InvalidInput(f'"{field}" holds {len(rows)} rows; the limit is {max_rows}')
    return rows


def to_rows(
    value: Any, n_features: int, max_rows: int, field: str, single: bool, may_hold_non_numbers: bool = True,
    names: Sequence[str] | None = None,
) -> tuple[np.ndarray, bool]:
    """A JSON row (single) or list of rows as a float32 matrix (null as NaN), and
    whether it holds a null; or InvalidInput saying what is wrong, naming the column.

    may_hold_non_numbers=False, when the raw body shows that no string or boolean can
    be among the values, skips the element walk that finds them."""
    if single and plain_numbers(value, n_features):
        return np.array([value], dtype=np.float32), False
    rows = row_list(value, field, single, max_rows, f"a list of {n_features} numbers")
    # An explicit dtype: without one numpy stores every element at the width of the
    # longest string among them (one 20,000-character string in 10,000 numbers: 800 MB).
    # A null becomes NaN, and only a null can: JSON has no NaN literal.
    try:
        with np.errstate(over="ignore"):
            matrix = np.array(rows, dtype=np.float64).astype(np.float32)
    except (ValueError, OverflowError, TypeError):
        raise InvalidInput(_explain(rows, n_features, field, single, names)) from None
    # float64 takes a numeric string ("1.5") and a boolean as numbers; both are client errors here.
    if matrix.shape != (len(rows), n_features) or (may_hold_non_numbers and not all_numbers(rows)):
        raise InvalidInput(_explain(rows, n_features, field, single, names))
    if np.isfinite(matrix).all():
        return matrix, False
    if np.isinf(matrix).any():
        raise InvalidInput(_explain(rows, n_features, field, single, names))
    return matrix, True


def all_numbers(rows: list[Any]) -> bool:
    """Whether a list of rows (lists) holds only JSON numbers and nulls: no string or boolean."""
    return all(type(row) is list and NUMBER_CELL_TYPES.issuperset(map(type, row)) for row in rows)


def named_row(value: dict[str, Any], names: Sequence[str], where: str) -> list[Any]:
    """A row given by feature name, in the model's column order."""
    for key in value:
        if key not in names:
            raise InvalidInput(f"{where} names unknown feature {shown(key)}; the features are {', '.join(names)}")
    missing = [name for name in names if name not in value]
    if missing:
        raise InvalidInput(f"{where} lacks feature{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    return [value[name] for name in names]


def by_position(value: Any, names: Sequence[str], field: str, single: bool, max_rows: int) -> Any:
    """Rows given by name ({"sepal_length": 5.1, ...}) as rows by position; anything else as it is."""
    if single:
        return named_row(value, names, f'"{field}"') if type(value) is dict else value
    if type(value) is not list or not value or type(value[0]) is not dict:
        return value
    if len(value) > max_rows:
        raise InvalidInput(f'"{field}" holds {len(value)} rows; the limit is {max_rows}')
    rows = []
    for index, row in enumerate(value):
        if type(row) is not dict:
            raise InvalidInput(f'"{field}" row {index} must be an object of features like row 0, got {json_kind(row)}')
        rows.append(named_row(row, names, f'"{field}" row {index}'))
    return rows


def to_table(value: Any, layout: Layout, max_rows: int, field: str, single: bool
             ) -> tuple[np.ndarray, np.ndarray, bool]:
    """Rows of numbers and category strings as a float32 matrix of the number columns
    (null as NaN) and an object matrix of the category columns (null as
    MISSING_CATEGORY), and whether any cell is missing; or InvalidInput naming the value."""
    n_columns = len(layout.names)
    rows = row_list(value, field, single, max_rows, f"a list of {n_columns} values")
    table = _table_in_bulk(rows, layout) if len(rows) >= BULK_TABLE_ROWS else None
    if table is not None:
        return table
    # A few rows, or a batch the bulk check doubted: walk them, naming the first bad value.
    numbers: list[float] = []
    categories: list[str] = []
    gaps = False
    for index, row in enumerate(rows):
        where = f'"{field}"' if single else f'"{field}" row {index}'
        if type(row) is not list or len(row) != n_columns:
            got = f"{len(row)} values" if type(row) is list else json_kind(row)
            raise InvalidInput(f"{where} must be a list of {n_columns} values ({', '.join(layout.names)}), got {got}")
        for position, (name, kind, item) in enumerate(zip(layout.names, layout.kinds, row)):
            if item is None:
                gaps = True
                if kind == "number":
                    numbers.append(np.nan)
                else:
                    categories.append(MISSING_CATEGORY)
            elif kind == "number":
                if type(item) not in NUMBER_TYPES:
                    raise InvalidInput(f"{where} position {position} ({name}) must be a number, got {json_kind(item)}")
                if not -FLOAT32_MAX <= item <= FLOAT32_MAX:
                    raise InvalidInput(f"{where} position {position} ({name}) is {item}, outside the float32 range")
                numbers.append(item)
            elif type(item) is str:
                gaps = gaps or item == MISSING_CATEGORY
                categories.append(item)
            else:
                raise InvalidInput(
                    f"{where} position {position} ({name}) must be a string (a category), got {json_kind(item)}")
    n_numbers = layout.kinds.count("number")
    return (np.array(numbers, dtype=np.float32).reshape(len(rows), n_numbers),
            np.array(categories, dtype=object).reshape(len(rows), n_columns - n_numbers), gaps)


# From this many rows up, a table is checked column by column: numpy's set-up costs
# about as much as walking a few rows, and a walk's cost grows with every value
# (measure with `python -m bench.inprocess --instructions --model-dir ...`).
BULK_TABLE_ROWS: Final = 4


_NULL: Final = type(None)
_CATEGORY_CELL_TYPES: Final = frozenset({str, _NULL})


def _table_in_bulk(rows: list[Any], layout: Layout) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """The table, checked column by column (a type set per column, numpy for the
    range): several times cheaper than a walk of every value. None at the first doubt,
    for the walk to explain."""
    n_columns = len(layout.names)
    for row in rows:
        if type(row) is not list or len(row) != n_columns:
            return None
    numbers, categories = [], []
    gaps = False
    for kind, column in zip(layout.kinds, zip(*rows)):
        types = set(map(type, column))
        if kind == "number" and types <= NUMBER_CELL_TYPES:
            numbers.append(column)  # a null becomes NaN below
            gaps = gaps or _NULL in types
        elif kind != "number" and types <= _CATEGORY_CELL_TYPES:
            if _NULL in types:
                column = tuple(MISSING_CATEGORY if item is None else item for item in column)
            gaps = gaps or MISSING_CATEGORY in column
            categories.append(column)
        else:
            return None
    try:
        matrix = np.array(numbers, dtype=np.float64).reshape(len(numbers), len(rows))
    except OverflowError:  # an integer past float64
        return None
    if not (np.abs(matrix[~np.isnan(matrix)] if gaps else matrix) <= FLOAT32_MAX).all():
        return None
    strings = np.empty((len(categories), len(rows)), dtype=object)
    for index, column in enumerate(categories):
        strings[index] = column
    return np.ascontiguousarray(matrix.T, dtype=np.float32), np.ascontiguousarray(strings.T), gaps


def decode_predict(body: bytes, n_features: int, max_rows: int, layout: Layout) -> PredictRequest:
    example = layout.example
    document = parse_json(body, example)
    # The original contract, one row of numbers by position: what the general path
    # below answers it with, in a fraction of the steps.
    if type(document) is dict and len(document) == 1 and not layout.per_column:
        value = document.get("features")
        if value is not None and plain_numbers(value, n_features):
            return PredictRequest(np.array([value], dtype=np.float32), True)
    if not isinstance(document, dict):
        raise InvalidInput(f"request body must be a JSON object such as {example}, got {json_kind(document)}")
    has_features, has_instances = "features" in document, "instances" in document
    if has_features and has_instances:
        raise InvalidInput('send either "features" (one row) or "instances" (many rows), not both')
    if not (has_features or has_instances):
        raise InvalidInput(f'request body must have "features" (one row) or "instances" (a list of rows): {example}')
    field = "features" if has_features else "instances"
    single = has_features
    value = document[field]
    # Rows by name, or a model with category columns: the slower, general path. Rows
    # of numbers by position (the original contract) go straight on.
    if (layout.per_column or type(value) is dict or (
            type(value) is list and value and type(value[0]) is dict)):
        value = by_position(value, layout.names, field, single, max_rows)
        if layout.per_column:
            numbers, categories, gaps = to_table(value, layout, max_rows, field, single)
            return PredictRequest(numbers, single, categories, gaps)
    # A string needs quotes beyond the field name's two, a boolean its literal; without
    # either in the raw body, the element walk that finds them is skipped.
    may_hold_non_numbers = body.count(b'"') > 2 or b"true" in body or b"false" in body
    rows, gaps = to_rows(value, n_features, max_rows, field, single, may_hold_non_numbers,
                         layout.names)
    return PredictRequest(rows, single, None, gaps)


def encode_values(values: np.ndarray, single: bool) -> bytes:
    """A regressor's answer: {"prediction": 151.2} for one row, {"predictions": [...]} for many."""
    if single:  # a float32 scalar: written as its shortest decimal, as in a batch
        return orjson.dumps({"prediction": values[0]}, option=orjson.OPT_SERIALIZE_NUMPY)
    return orjson.dumps({"predictions": values}, option=orjson.OPT_SERIALIZE_NUMPY)


def encode_predict(labels: np.ndarray, probabilities: np.ndarray, classes: Sequence[str], single: bool) -> bytes:
    if single:
        label = int(labels[0])
        return orjson.dumps(
            {"prediction": label, "class_name": classes[label], "probabilities": probabilities[0]},
            option=orjson.OPT_SERIALIZE_NUMPY,
        )
    return orjson.dumps(
        {
            "predictions": labels,
            "class_names": [classes[label] for label in labels.tolist()],
            "probabilities": probabilities,
        },
        option=orjson.OPT_SERIALIZE_NUMPY,
    )
