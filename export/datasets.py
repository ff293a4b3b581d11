"""The data a spec names, read and split the same way on every run."""
import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from sklearn import datasets as sklearn_datasets
from sklearn.model_selection import train_test_split

from export.rows import Rows, Schema
from export.spec import Feature, ModelSpec, SpecError
from gateway.model.contract import MISSING_CATEGORY

# CSV files larger than this are refused: the whole set is held in memory several times.
MAX_CSV_BYTES: Final = 512 * 1024 * 1024


@dataclass(frozen=True)
class Dataset:
    schema: Schema
    class_names: list[str] | None
    """Classification: the name of each label 0..K-1. Regression: None."""
    x_train: Rows
    x_test: Rows
    y_train: np.ndarray
    y_test: np.ndarray
    source: str
    """Where the rows came from, as the card records it."""

    @property
    def feature_names(self) -> list[str]:
        return self.schema.names

    @property
    def x_all(self) -> Rows:
        return self.x_train.concat(self.x_test)

    @property
    def y_all(self) -> np.ndarray:
        return np.concatenate([self.y_train, self.y_test])


@dataclass(frozen=True)
class Table:
    rows: Rows
    targets: np.ndarray
    class_names: list[str] | None
    source: str


def _from_sklearn(spec: ModelSpec) -> Table:
    data = spec.data
    bunch = getattr(sklearn_datasets, f"load_{data.sklearn}")()
    names = [str(name) for name in bunch.feature_names]
    features = data.features or tuple(Feature(name, "number") for name in names)
    for feature in features:
        if feature.name not in names:
            raise SpecError(spec.path, f"[data.features] {feature.name}",
                            f"{data.sklearn} has no such column; it has {', '.join(names)}")
        if feature.kind != "number":
            raise SpecError(spec.path, f"[data.features] {feature.name}", f"is numeric in {data.sklearn}")
    if data.target != "target":
        raise SpecError(spec.path, "[data] target",
                        f"a scikit-learn data set's target is \"target\", not {data.target!r}")
    schema = Schema(features)
    columns = [names.index(feature.name) for feature in features]
    rows = Rows(schema, bunch.data[:, columns].astype(np.float32), np.empty((len(bunch.data), 0), dtype=object))
    if spec.task == "classification":
        return Table(rows, bunch.target, [str(name) for name in bunch.target_names],
                     f"sklearn.datasets.load_{data.sklearn}")
    return Table(rows, bunch.target.astype(np.float64), None, f"sklearn.datasets.load_{data.sklearn}")


def _number(path: Path, line: int, column: str, text: str, missing: tuple[str, ...]) -> float:
    if text in missing:
        return math.nan
    where = f"line {line}, column {column!r}"
    hint = f" (the cells [data] missing names are gaps: {', '.join(map(repr, missing))})" if missing else ""
    try:
        value = float(text)
    except ValueError:
        raise SpecError(path, where, f"{text!r} is not a number{hint}") from None
    if not math.isfinite(value):
        raise SpecError(path, where, f"{text!r} is not a finite number{hint}")
    return value


def _features(spec: ModelSpec, header: list[str]) -> tuple[Feature, ...]:
    """The spec's feature columns; in the short form, every other column as a number, in the CSV's order."""
    data = spec.data
    listed = {feature.name: feature for feature in data.features or ()}
    if data.other_columns is None:
        return tuple(listed.values())
    absent = [name for name in listed if name not in header]
    if absent:
        raise SpecError(spec.path, f"[data.features] {absent[0]}",
                        f"{data.csv} has no such column; it has {', '.join(header)}")
    return tuple(listed.get(name, Feature(name, "number")) for name in header if name != data.target)


def _read_csv(spec: ModelSpec) -> Table:
    data = spec.data
    path = data.csv
    assert path is not None
    if path.stat().st_size > MAX_CSV_BYTES:
        raise SpecError(spec.path, "[data] csv", f"{path} is larger than {MAX_CSV_BYTES // 2**20} MiB")
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        features = _features(spec, header)
        for column in [data.target, *(feature.name for feature in features)]:
            if column not in header:
                raise SpecError(spec.path, "[data]", f"{path} has no column {column!r}; it has {', '.join(header)}")
        if not features:
            raise SpecError(spec.path, "[data]", f"{path} has no column besides the target {data.target!r}")
        numbers, categories, targets = [], [], []
        for record in reader:
            line = reader.line_num
            numbers.append([_number(path, line, f.name, record[f.name] or "", data.missing) for f in features
                            if f.kind == "number"])
            categories.append([_category(path, line, f.name, record[f.name], data.missing) for f in features
                               if f.kind == "category"])
            target = record[data.target] or ""
            if target in data.missing:
                raise SpecError(path, f"line {line}, column {data.target!r}",
                                "the target is missing; drop the row or fill it in")
            targets.append(target)
    if len(targets) < 10:
        raise SpecError(spec.path, "[data] csv", f"{path} has {len(targets)} rows; at least 10 are needed to split")
    schema = Schema(features)
    rows = Rows(schema, np.array(numbers, dtype=np.float64).astype(np.float32).reshape(len(targets), -1),
                np.array(categories, dtype=object).reshape(len(targets), -1))
    empty = [name for name, gaps in zip(schema.names, rows.missing().all(axis=0)) if gaps]
    if empty:
        raise SpecError(spec.path, "[data]", f"{path}: column {empty[0]!r} is missing in every row")
    source = str(path.relative_to(spec.path.parent)) if path.is_relative_to(spec.path.parent) else str(path)
    if spec.task == "regression":
        values = [_number(path, index + 2, data.target, text, ()) for index, text in enumerate(targets)]
        return Table(rows, np.array(values, dtype=np.float64), None, source)
    classes = _ordered(list(set(targets)))
    if len(classes) < 2:
        raise SpecError(spec.path, "[data] target", f"{data.target!r} holds one class; a classifier needs two or more")
    index = {label: position for position, label in enumerate(classes)}
    return Table(rows, np.array([index[label] for label in targets], dtype=np.int64), classes, source)


def _category(path: Path, line: int, column: str, text: str | None, missing: tuple[str, ...]) -> str:
    """A category cell; a gap (a cell [data] missing names) as MISSING_CATEGORY. An
    empty cell is a gap only where `missing` lists "", as in a number column."""
    text = text or ""
    if text in missing:
        return MISSING_CATEGORY
    if text == MISSING_CATEGORY:
        raise SpecError(path, f"line {line}, column {column!r}",
                        'is empty; list "" in [data] missing to read an empty cell as a missing value')
    return text


def _ordered(classes: list[str]) -> list[str]:
    """Class names in label order: numerically when every label is an integer, else as text."""
    try:
        return sorted(classes, key=int)
    except ValueError:
        return sorted(classes)


def load_table(spec: ModelSpec) -> Table:
    return _from_sklearn(spec) if spec.data.sklearn else _read_csv(spec)


def split(spec: ModelSpec, table: Table) -> Dataset:
    """The spec's split; it depends only on the row count, the seed and (if stratified) the targets."""
    order = np.arange(len(table.targets))
    try:
        train_index, test_index = train_test_split(
            order, test_size=spec.split.test_size, random_state=spec.split.seed,
            stratify=table.targets if spec.split.stratify else None,
        )
    except ValueError as error:
        raise SpecError(spec.path, "[split]", str(error)) from None
    # A column with no value in the training rows has no range and nothing to learn from.
    empty = [name for name, gaps in zip(table.rows.schema.names, table.rows.take(train_index).missing().all(axis=0))
             if gaps]
    if empty:
        raise SpecError(spec.path, "[split]", f"column {empty[0]!r} is missing in every training row")
    return Dataset(
        schema=table.rows.schema,
        class_names=table.class_names,
        x_train=table.rows.take(train_index),
        x_test=table.rows.take(test_index),
        y_train=table.targets[train_index],
        y_test=table.targets[test_index],
        source=table.source,
    )


def load_dataset(spec: ModelSpec) -> Dataset:
    return split(spec, load_table(spec))
