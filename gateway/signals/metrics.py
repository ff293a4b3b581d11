"""Prometheus metrics, counted cheaply on the hot path and published in bulk.

Each prometheus-client increment takes a lock, and a histogram observation walks
its buckets in Python: together a large share of a single-row request's cost
(`make bench-instructions` shows the shares). Requests are therefore tallied in plain Python (the event loop is
one thread) and added to the prometheus-client objects in bulk on every scrape
and every FLUSH_SECONDS, so several workers' files (multiprocess mode) stay fresh.
Unlike the access log, the flush stays on the event loop: it does no blocking I/O
(multiprocess mode writes into memory-mapped files) and its work grows with the
number of label sets, not of requests.
"""
from bisect import bisect_left
from typing import Final

import numpy as np
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

from gateway.model.card import ModelCard
from gateway.signals.emf import EmfTally

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
# Sub-millisecond buckets: the gateway answers most requests well under 1 ms.
LATENCY_BUCKETS: Final = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
FLUSH_SECONDS: Final = 1.0


def multiprocess_active() -> bool:
    """Whether prometheus-client writes this process's values to files shared by workers.

    It decides once, at import, from PROMETHEUS_MULTIPROC_DIR (gateway.__main__
    sets it before it starts several workers). The gateway follows that decision
    instead of making its own, so the two cannot disagree: a scrape that sums
    worker files when none are written answers 500. `values.ValueClass` is not
    public API; tests/gateway/signals/test_metrics.py fails, naming the version, if it goes.
    """
    return values.ValueClass is not values.MutexValue


def observe_many(histogram: Histogram, counts_per_bucket: list[int], total_seconds: float) -> None:
    """The bulk form of Histogram.observe: counts per bucket (not cumulative) and their sum.

    prometheus-client has no public bulk API; this uses its private `_sum` and
    `_buckets` (0.26 keeps per-bucket, non-cumulative values). The one place that
    does: tests/gateway/signals/test_metrics.py compares it with observe() itself and fails
    naming the installed version if they go.
    """
    histogram._sum.inc(total_seconds)
    buckets = histogram._buckets
    for index, count in enumerate(counts_per_bucket):
        if count:
            buckets[index].inc(count)


# A regressor's predictions are counted in this many buckets across its training targets.
VALUE_BUCKETS: Final = 10


class _Tally:
    """Requests of one (route, method, status) since the last flush."""

    __slots__ = ("count", "seconds", "buckets")

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)  # the last one is +Inf


class Metrics:
    def __init__(self) -> None:
        # In multiprocess mode prometheus-client writes every value to files in
        # PROMETHEUS_MULTIPROC_DIR and /metrics sums them across workers.
        self.multiprocess_mode = multiprocess_active()
        self.registry = CollectorRegistry()
        self._requests = Counter(
            "gateway_requests", "HTTP requests by route and status", ["route", "method", "status"],
            registry=self.registry,
        )
        self._latency = Histogram(
            "gateway_request_duration_seconds", "Time from request start to response end", ["route"],
            buckets=LATENCY_BUCKETS, registry=self.registry,
        )
        self._rows = Counter("gateway_predicted_rows", "Rows predicted", registry=self.registry)
        self._classes = Counter(
            "gateway_predictions", "Predicted rows by class", ["class_name"], registry=self.registry
        )
        self._out_of_range = Counter(
            "gateway_out_of_range_rows", "Predicted rows with a feature outside the training range",
            registry=self.registry,
        )
        self._unproven = Counter(
            "gateway_unproven_rows",
            "Predicted rows outside the region where the export's parity gate proved the model at its strict"
            " tolerance (the model card's parity_region)",
            registry=self.registry,
        )
        self._info = Gauge(
            "gateway_model_info", "The model being served", ["name", "version", "sha256"],
            registry=self.registry, multiprocess_mode="max",
        )
        self._unseen = Counter(
            "gateway_unseen_category_rows", "Predicted rows holding a category never seen in training",
            registry=self.registry,
        )
        # One series per feature column (the card bounds them; a client cannot add one).
        self._missing = Counter(
            "gateway_missing_cells", "Missing values (null) received, by feature column: divided by"
            " gateway_predicted_rows, the column's gap rate (the model card's missing_rate is training's)",
            ["column"], registry=self.registry,
        )
        self._column_names: list[str] = []
        self._pending_missing: list[int] = []
        # A regressor's predictions, in buckets spread over its training targets (set_model).
        self._values: Histogram | None = None
        self._value_edges: list[float] = []
        self._pending_values: list[int] = []
        self._pending_values_sum = 0.0
        self._pending_unseen = 0
        self._class_names: list[str] = []
        self._pending: dict[tuple[str, str, int], _Tally] = {}
        self._pending_classes: list[int] = []
        self._pending_rows = 0
        self._pending_out_of_range = 0
        self._pending_unproven = 0
        # CloudWatch EMF documents (gateway.signals.emf), when GATEWAY_EMF_SECONDS asks for them:
        # each flush hands its tallies over as well.
        self.emf: EmfTally | None = None

    def set_model(self, card: ModelCard) -> None:
        self._info.labels(card.name, card.version, card.sha256).set(1)
        self._class_names = list(card.classes)
        self._pending_classes = [0] * len(card.classes)
        self._column_names = [column.name for column in card.columns]
        self._pending_missing = [0] * len(card.columns)
        if card.regression and self._values is None:
            value = card.document["value"]
            edges = np.linspace(float(value["min"]), float(value["max"]), VALUE_BUCKETS + 1)
            self._value_edges = [float(f"{edge:.6g}") for edge in edges]
            self._values = Histogram(
                "gateway_predicted_values", "A regressor's predictions (buckets span the training targets)",
                buckets=self._value_edges, registry=self.registry,
            )
            self._pending_values = [0] * (len(self._value_edges) + 1)

    def observe_gaps(self, per_column: list[int]) -> None:
        """Missing cells per column, in the card's order."""
        for index, count in enumerate(per_column):
            self._pending_missing[index] += count

    def observe_unseen(self, rows: int) -> None:
        """Rows holding a category never seen in training."""
        self._pending_unseen += rows

    def observe_values(self, values: np.ndarray, outside: tuple[int, int]) -> None:
        """A regressor's predictions; `outside` as for observe_predictions."""
        self._pending_rows += len(values)
        indexes = np.searchsorted(self._value_edges, values, side="left")
        for index, count in enumerate(np.bincount(indexes, minlength=len(self._pending_values)).tolist()):
            self._pending_values[index] += count
        self._pending_values_sum += float(values.astype(np.float64).sum())
        self._pending_out_of_range += outside[0]
        self._pending_unproven += outside[1]

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        tally = self._pending.get(key)
        if tally is None:
            tally = self._pending[key] = _Tally()
        tally.count += 1
        tally.seconds += seconds
        tally.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1

    def observe_predictions(self, labels: np.ndarray, outside: tuple[int, int]) -> None:
        """`outside`: rows outside the training range, and outside the proven parity region."""
        rows = len(labels)
        self._pending_rows += rows
        if rows == 1:
            self._pending_classes[int(labels[0])] += 1
        else:
            for index, count in enumerate(np.bincount(labels, minlength=len(self._pending_classes)).tolist()):
                self._pending_classes[index] += count
        self._pending_out_of_range += outside[0]
        self._pending_unproven += outside[1]

    def flush(self) -> None:
        """Add everything tallied since the last flush to the prometheus-client objects
        (and to the EMF tally, when there is one)."""
        pending, self._pending = self._pending, {}
        emf = self.emf
        for (route, method, status), tally in pending.items():
            self._requests.labels(route, method, str(status)).inc(tally.count)
            observe_many(self._latency.labels(route), tally.buckets, tally.seconds)
            if emf is not None:
                emf.add_requests(route, status, tally.count, tally.buckets)
        if emf is not None:
            emf.add_rows(self._pending_rows, self._pending_out_of_range, self._pending_unproven, self._pending_unseen,
                         self._pending_classes, self._pending_values_sum, self._pending_missing)
        for index, count in enumerate(self._pending_missing):
            if count:
                self._missing.labels(self._column_names[index]).inc(count)
                self._pending_missing[index] = 0
        if self._pending_rows:
            self._rows.inc(self._pending_rows)
            self._pending_rows = 0
        for index, count in enumerate(self._pending_classes):
            if count:
                self._classes.labels(self._class_names[index]).inc(count)
                self._pending_classes[index] = 0
        if self._pending_out_of_range:
            self._out_of_range.inc(self._pending_out_of_range)
            self._pending_out_of_range = 0
        if self._pending_unproven:
            self._unproven.inc(self._pending_unproven)
            self._pending_unproven = 0
        if self._pending_unseen:
            self._unseen.inc(self._pending_unseen)
            self._pending_unseen = 0
        if self._values is not None and any(self._pending_values):
            observe_many(self._values, self._pending_values, self._pending_values_sum)
            self._pending_values = [0] * len(self._pending_values)
        self._pending_values_sum = 0.0

    def exposition(self) -> bytes:
        self.flush()
        if self.multiprocess_mode:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
