"""Sampled payload logging, for offline drift analysis: a bounded share of the
prediction requests, with their rows and answers, as JSON lines. Off by default.

GATEWAY_PAYLOAD_SAMPLE (0 to 1) is the share of prediction requests considered;
GATEWAY_PAYLOAD_MAX_PER_SECOND caps what is written whatever the traffic: a bucket of
that many lines, refilled at that rate, so never more than that many lines in any
second after the first burst. A request's first PAYLOAD_MAX_ROWS rows are recorded, and
`rows` says how many it held. The line is built only for a request that is sampled
and written by the logging thread (`gateway.payload` logger), never on the event loop.

The rows are what clients sent: where the features describe people, these lines are
personal data, and the log group's retention and access are those of personal data.
"""
import random
import time
from typing import Callable, Final

import numpy as np
import orjson

from gateway.model.card import ModelCard
from gateway.model.inference import Prediction
from gateway.signals.logs import timestamp
# A sampled 10,000-row batch is recorded by its first rows: the line stays small.
PAYLOAD_MAX_ROWS: Final = 100


class PayloadSampler:
    """Which requests are recorded: a random share, within a rate cap (a token bucket)."""

    def __init__(self, share: float, per_second: int, clock: Callable[[], float] = time.monotonic,
                 draw: Callable[[], float] = random.random) -> None:
        self.share = share
        self.per_second = per_second
        self._clock = clock
        self._draw = draw
        self._tokens = float(per_second)
        self._filled_at = clock()

    def admit(self) -> bool:
        if self._draw() >= self.share:
            return False
        now = self._clock()
        self._tokens = min(float(self.per_second), self._tokens + (now - self._filled_at) * self.per_second)
        self._filled_at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


def payload_line(card: ModelCard, request_id: bytes, rows: np.ndarray, categories: np.ndarray | None,
                 prediction: Prediction, when: float | None = None) -> str:
    """One request's record: its first rows by column name, and the answers to them."""
    kept = slice(0, PAYLOAD_MAX_ROWS)
    numbers = [column.name for column in card.columns if column.kind == "number"]
    strings = [column.name for column in card.columns if column.kind == "category"]
    entry = {
        "time": timestamp(time.time() if when is None else when), "model": card.name, "version": card.version,
        "request_id": request_id.decode(), "rows": len(rows),
        "number_columns": numbers, "numbers": rows[kept],
        "category_columns": strings, "categories": [] if categories is None else categories[kept].tolist(),
    }
    if prediction.values is not None:
        entry["values"] = prediction.values[kept]
    else:
        entry["labels"] = prediction.labels[kept]
        entry["probabilities"] = prediction.probabilities[kept]
    return orjson.dumps(entry, option=orjson.OPT_SERIALIZE_NUMPY).decode()
