"""The gateway's own figures as CloudWatch Embedded Metric Format (EMF) documents.

Each document is one JSON line on the log stream ECS already ships (awslogs), from
which CloudWatch extracts the metrics: no collector to run, no AWS call from the
process. Every GATEWAY_EMF_SECONDS the tallies gathered since the last documents
(gateway.signals.metrics hands them over on each of its flushes) are written through the
`gateway.emf` logger, whose lines the logging thread writes: nothing here runs per
request. An interval without requests writes nothing.

Documents (the format: docs.aws.amazon.com, CloudWatch_Embedded_Metric_Format_Specification):
- the model's: rows predicted, rows outside the training range, rows outside the
  region the parity gate proved, rows holding an unseen category (and a regressor's
  mean prediction), with dimensions Model and ModelVersion, and with none;
- one per class: rows predicted as it, with dimensions Model, ModelVersion and Class;
- one per feature column that had a gap: its missing cells, with dimensions Model,
  ModelVersion and Column, and Column alone (the card's columns bound their number;
  MissingCells / PredictedRows is the column's gap rate, to hold against the card's
  missing_rate);
- one per route: requests, 4xx, 5xx and the interval's p99 latency, with dimension
  Route (one model per service; Model rides along). Routes other than the prediction
  routes are summed as "other", so the number of metrics stays fixed (a client cannot
  create metrics by inventing paths).
The model's sha256 rides along on every document as a property, not a dimension: a
dimension would make a new set of billed metrics for each build.
"""
import time
from dataclasses import dataclass, field
from typing import Final, Iterable

import orjson

from gateway.model.card import ModelCard

# Metric names: the Terraform alarms and dashboard name the same (tests/infra ties them).
PREDICTED_ROWS: Final = "PredictedRows"
OUT_OF_RANGE_ROWS: Final = "OutOfRangeRows"
UNPROVEN_ROWS: Final = "UnprovenRows"
UNSEEN_CATEGORY_ROWS: Final = "UnseenCategoryRows"
PREDICTED_VALUE_MEAN: Final = "PredictedValueMean"
CLASS_PREDICTIONS: Final = "ClassPredictions"
MISSING_CELLS: Final = "MissingCells"
REQUESTS: Final = "Requests"
CLIENT_ERRORS: Final = "ClientErrors"
SERVER_ERRORS: Final = "ServerErrors"
LATENCY_P99: Final = "LatencyP99"
# Every metric is a count but these.
UNITS: Final = {PREDICTED_VALUE_MEAN: "None", LATENCY_P99: "Milliseconds"}

# Each tuple is a DimensionSet; an empty one publishes the metric with no dimension,
# which is what the alarms watch: they need no model name or version, so a new model
# version keeps its alarms.
MODEL_DIMENSIONS: Final = (("Model", "ModelVersion"), ())
CLASS_DIMENSIONS: Final = (("Model", "ModelVersion", "Class"),)
COLUMN_DIMENSIONS: Final = (("Model", "ModelVersion", "Column"), ("Column",))
ROUTE_DIMENSIONS: Final = (("Route",),)
OTHER_ROUTE: Final = "other"


def route_of(path: str) -> str:
    """The Route dimension of a request's route: the prediction routes by their own
    template, every other route as "other"."""
    return path if path == "/predict" or path.endswith("/infer") else OTHER_ROUTE


def p99(counts: list[int], bounds: tuple[float, ...]) -> float:
    """The upper bound (seconds) of the latency bucket holding the 99th percentile;
    a request beyond the last bound counts as the last bound."""
    total = sum(counts)
    rank, seen = 0.99 * total, 0
    for index, count in enumerate(counts):
        seen += count
        if seen >= rank:
            return bounds[min(index, len(bounds) - 1)]
    return bounds[-1]


@dataclass
class _Route:
    requests: int = 0
    client_errors: int = 0
    server_errors: int = 0
    buckets: list[int] = field(default_factory=list)


class EmfTally:
    """What happened since the last documents, and the documents that say it."""

    def __init__(self, card: ModelCard, namespace: str, latency_bounds: tuple[float, ...]) -> None:
        self.namespace = namespace
        self.latency_bounds = latency_bounds
        self.model = {"Model": card.name, "ModelVersion": card.version, "ModelSha256": card.sha256}
        self.classes = list(card.classes)
        self.columns = [column.name for column in card.columns]
        self.regression = card.regression
        self._reset()

    def _reset(self) -> None:
        self.routes: dict[str, _Route] = {}
        self.rows = self.out_of_range = self.unproven = self.unseen = 0
        self.per_class = [0] * len(self.classes)
        self.missing = [0] * len(self.columns)
        self.value_sum = 0.0

    def add_requests(self, route: str, status: int, count: int, buckets: list[int]) -> None:
        key = route_of(route)
        tally = self.routes.get(key)
        if tally is None:
            tally = self.routes[key] = _Route(buckets=[0] * len(buckets))
        tally.requests += count
        if 400 <= status < 500:
            tally.client_errors += count
        elif status >= 500:
            tally.server_errors += count
        for index, bucket in enumerate(buckets):
            tally.buckets[index] += bucket

    def add_rows(self, rows: int, out_of_range: int, unproven: int, unseen: int,
                 per_class: Iterable[int] = (), value_sum: float = 0.0, missing: Iterable[int] = ()) -> None:
        self.rows += rows
        self.out_of_range += out_of_range
        self.unproven += unproven
        self.unseen += unseen
        for index, count in enumerate(per_class):
            self.per_class[index] += count
        for index, count in enumerate(missing):
            self.missing[index] += count
        self.value_sum += value_sum

    def _document(self, when_ms: int, dimensions: tuple[tuple[str, ...], ...], metrics: dict[str, float],
                  **dimension_values: str) -> str:
        directive = {
            "Namespace": self.namespace,
            "Dimensions": [list(dimension_set) for dimension_set in dimensions],
            "Metrics": [{"Name": name, "Unit": UNITS.get(name, "Count")} for name in metrics],
        }
        return orjson.dumps({"_aws": {"Timestamp": when_ms, "CloudWatchMetrics": [directive]}, **self.model,
                             **dimension_values, **metrics}).decode()

    def documents(self, when: float | None = None) -> list[str]:
        """The documents for everything since the last call (none without requests),
        and a fresh start."""
        if not self.routes:
            return []
        when_ms = int((time.time() if when is None else when) * 1000)
        model = {PREDICTED_ROWS: self.rows, OUT_OF_RANGE_ROWS: self.out_of_range, UNPROVEN_ROWS: self.unproven,
                 UNSEEN_CATEGORY_ROWS: self.unseen}
        if self.regression and self.rows:
            model[PREDICTED_VALUE_MEAN] = self.value_sum / self.rows
        lines = [self._document(when_ms, MODEL_DIMENSIONS, model)]
        for name, count in zip(self.classes, self.per_class):
            if count:
                lines.append(self._document(when_ms, CLASS_DIMENSIONS, {CLASS_PREDICTIONS: count}, Class=name))
        for name, count in zip(self.columns, self.missing):
            if count:
                lines.append(self._document(when_ms, COLUMN_DIMENSIONS, {MISSING_CELLS: count}, Column=name))
        for route, tally in sorted(self.routes.items()):
            figures = {
                REQUESTS: tally.requests, CLIENT_ERRORS: tally.client_errors, SERVER_ERRORS: tally.server_errors,
                LATENCY_P99: round(p99(tally.buckets, self.latency_bounds) * 1000, 3),
            }
            lines.append(self._document(when_ms, ROUTE_DIMENSIONS, figures, Route=route))
        self._reset()
        return lines


def metric_names(card: ModelCard) -> set[str]:
    """Every metric name the gateway can emit for this card (the Terraform side names
    a subset of these)."""
    names = {PREDICTED_ROWS, OUT_OF_RANGE_ROWS, UNPROVEN_ROWS, UNSEEN_CATEGORY_ROWS, REQUESTS, CLIENT_ERRORS,
             SERVER_ERRORS, LATENCY_P99, MISSING_CELLS}
    return names | ({PREDICTED_VALUE_MEAN} if card.regression else {CLASS_PREDICTIONS})
