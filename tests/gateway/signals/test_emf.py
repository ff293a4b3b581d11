"""CloudWatch Embedded Metric Format documents (gateway/signals/emf.py): each one valid by
the format's rules, and adding up. A real gateway writing them: tests/gateway/served/test_emf.py."""
import json

import numpy as np
import pytest

from gateway import PRODUCT
from gateway.model.card import ModelCard
from gateway.signals import emf
from gateway.signals.metrics import LATENCY_BUCKETS, Metrics
from tests.gateway.emf_documents import assert_valid


@pytest.fixture
def card(settings) -> ModelCard:
    return ModelCard.load(settings.card_path)


def test_an_interval_without_requests_writes_nothing(card):
    assert emf.EmfTally(card, "ns", LATENCY_BUCKETS).documents() == []


def test_the_documents_of_an_interval_are_valid_and_add_up(card):
    metrics = Metrics()
    metrics.set_model(card)
    metrics.emf = tally = emf.EmfTally(card, PRODUCT, LATENCY_BUCKETS)
    metrics.observe_predictions(np.array([0, 2, 2]), (1, 1))
    metrics.observe_request("/predict", "POST", 200, 0.0004)
    metrics.observe_request("/predict", "POST", 400, 0.0002)
    metrics.observe_request("/v2/models/{model_name}/infer", "POST", 200, 0.07)
    metrics.observe_request("/no/such/path", "GET", 404, 0.0001)
    metrics.observe_request("/health", "GET", 503, 0.0001)
    metrics.flush()
    documents = [assert_valid(line) for line in tally.documents(when=1_780_000_000.5)]
    model, *classes_and_routes = documents
    assert model["_aws"]["Timestamp"] == 1_780_000_000_500
    assert (model["Model"], model["ModelVersion"], model["ModelSha256"]) == (card.name, card.version, card.sha256)
    assert (model[emf.PREDICTED_ROWS], model[emf.OUT_OF_RANGE_ROWS], model[emf.UNPROVEN_ROWS]) == (3, 1, 1)
    per_class = {d["Class"]: d[emf.CLASS_PREDICTIONS] for d in classes_and_routes if "Class" in d}
    assert per_class == {card.classes[0]: 1, card.classes[2]: 2}
    routes = {d["Route"]: d for d in classes_and_routes if "Route" in d}
    assert set(routes) == {"/predict", "/v2/models/{model_name}/infer", emf.OTHER_ROUTE}
    assert (routes["/predict"][emf.REQUESTS], routes["/predict"][emf.CLIENT_ERRORS]) == (2, 1)
    assert (routes["other"][emf.REQUESTS], routes["other"][emf.CLIENT_ERRORS], routes["other"][emf.SERVER_ERRORS]) \
        == (2, 1, 1)
    # p99 is the bound of the bucket holding it: 70 ms falls in the 100 ms bucket.
    assert routes["/v2/models/{model_name}/infer"][emf.LATENCY_P99] == 100.0
    assert tally.documents() == [], "each interval is reported once"


def test_the_metrics_are_what_metric_names_lists(card):
    tally = emf.EmfTally(card, "ns", LATENCY_BUCKETS)
    tally.add_requests("/predict", 200, 1, [1] + [0] * len(LATENCY_BUCKETS))
    tally.add_rows(1, 0, 0, 0, [1, 0, 0], 0.0, [0, 1, 0, 0])
    emitted = {metric["Name"] for line in tally.documents()
               for directive in json.loads(line)["_aws"]["CloudWatchMetrics"] for metric in directive["Metrics"]}
    assert emitted == emf.metric_names(card)
