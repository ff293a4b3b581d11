"""Prometheus metrics. Label children are cached so the hot path does one dict
lookup and one increment per metric, not a label resolution under a lock."""
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
)

from gateway.card import ModelCard

CONTENT_TYPE: Final = CONTENT_TYPE_LATEST
# Sub-millisecond buckets: the gateway answers most requests well under 1 ms.
LATENCY_BUCKETS: Final = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


class Metrics:
    def __init__(self, multiprocess_mode: bool = False) -> None:
        # In multiprocess mode prometheus-client writes every value to files in
        # PROMETHEUS_MULTIPROC_DIR (set by gateway.__main__ before the workers
        # start) and /metrics sums them across workers.
        self.multiprocess_mode = multiprocess_mode
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
        self._info = Gauge(
            "gateway_model_info", "The model being served", ["name", "version", "sha256"],
            registry=self.registry, multiprocess_mode="max",
        )
        self._request_children: dict[tuple[str, str, int], Counter] = {}
        self._latency_children: dict[str, Histogram] = {}
        self._class_children: list[Counter] = []

    def set_model(self, card: ModelCard) -> None:
        self._info.labels(card.name, card.version, card.sha256).set(1)
        self._class_children = [self._classes.labels(name) for name in card.classes]

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        counter = self._request_children.get(key)
        if counter is None:
            counter = self._request_children[key] = self._requests.labels(route, method, str(status))
        counter.inc()
        latency = self._latency_children.get(route)
        if latency is None:
            latency = self._latency_children[route] = self._latency.labels(route)
        latency.observe(seconds)

    def observe_predictions(self, labels: np.ndarray, out_of_range: int) -> None:
        self._rows.inc(len(labels))
        if len(labels) == 1:
            self._class_children[int(labels[0])].inc()
        else:
            for index, count in enumerate(np.bincount(labels, minlength=len(self._class_children)).tolist()):
                if count:
                    self._class_children[index].inc(count)
        if out_of_range:
            self._out_of_range.inc(out_of_range)

    def exposition(self) -> bytes:
        if self.multiprocess_mode:
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)
            return generate_latest(registry)
        return generate_latest(self.registry)
