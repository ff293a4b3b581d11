"""Sampled payload logging (gateway/signals/payloads.py): the share and the rate cap, and
the line's content. A real gateway within its cap: tests/gateway/served/test_payloads.py."""
import json

import numpy as np

from gateway.model.card import ModelCard
from gateway.model.inference import Prediction
from gateway.signals.payloads import PAYLOAD_MAX_ROWS, PayloadSampler, payload_line
from tests.support import ORIGINAL_ROW


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_share_is_drawn_per_request():
    draws = iter([0.05, 0.5, 0.09, 0.1])
    sampler = PayloadSampler(0.1, per_second=100, clock=Clock(), draw=lambda: next(draws))
    assert [sampler.admit() for _ in range(4)] == [True, False, True, False]


def test_never_more_than_the_cap_in_a_second_and_the_bucket_refills():
    clock = Clock()
    sampler = PayloadSampler(1.0, per_second=3, clock=clock)
    assert sum(sampler.admit() for _ in range(100)) == 3
    clock.now += 0.5
    assert sum(sampler.admit() for _ in range(100)) == 1
    clock.now += 10
    assert sum(sampler.admit() for _ in range(100)) == 3, "the bucket holds at most one second's worth"


def test_the_line_holds_the_first_rows_by_column_and_their_answers(settings):
    card = ModelCard.load(settings.card_path)
    rows = np.tile(np.array(ORIGINAL_ROW, dtype=np.float32), (250, 1))
    labels = np.zeros(250, dtype=np.int64)
    probabilities = np.full((250, 3), 1 / 3, dtype=np.float32)
    line = json.loads(payload_line(card, b"req-1", rows, None, Prediction(labels, probabilities), when=0.0))
    assert (line["model"], line["version"], line["request_id"], line["rows"]) == (card.name, card.version, "req-1", 250)
    assert line["number_columns"] == [column.name for column in card.columns]
    assert len(line["numbers"]) == len(line["labels"]) == len(line["probabilities"]) == PAYLOAD_MAX_ROWS
    assert line["numbers"][0] == list(rows[0]) and line["categories"] == []
