"""CloudWatch Embedded Metric Format documents (gateway/signals/emf.py): each one valid by the
format's rules, and a real gateway writing them for a burst of drifted traffic."""
import json

import httpx
import jsonschema
import numpy as np
import pytest

from gateway.model.card import ModelCard
from gateway.signals import emf
from gateway.signals.metrics import LATENCY_BUCKETS, Metrics
from tests.support import ORIGINAL_ROW
from tests.infra.terraform import defaults
from tests.support import REPO_ROOT
from tests.waiting import wait_until

# The format's rules as a JSON schema, written from its specification
# (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
# an `_aws` object with an integer millisecond Timestamp and MetricDirectives, each with
# a 1-255 character Namespace, at least one DimensionSet of at most 9 keys, and at
# most 100 MetricDefinitions named 1-255 characters, in one of CloudWatch's units.
UNITS = (
    "Seconds|Microseconds|Milliseconds|Bytes|Kilobytes|Megabytes|Gigabytes|Terabytes|Bits|Kilobits|Megabits|"
    "Gigabits|Terabits|Percent|Count|Bytes/Second|Kilobytes/Second|Megabytes/Second|Gigabytes/Second|"
    "Terabytes/Second|Bits/Second|Kilobits/Second|Megabits/Second|Gigabits/Second|Terabits/Second|Count/Second|None"
)
NAME = {"type": "string", "minLength": 1, "maxLength": 255}
SCHEMA = {
    "type": "object",
    "required": ["_aws"],
    "properties": {"_aws": {
        "type": "object",
        "required": ["Timestamp", "CloudWatchMetrics"],
        "properties": {
            "Timestamp": {"type": "integer", "minimum": 0},
            "CloudWatchMetrics": {"type": "array", "items": {
                "type": "object",
                "required": ["Namespace", "Dimensions", "Metrics"],
                "properties": {
                    "Namespace": NAME,
                    "Dimensions": {"type": "array", "minItems": 1,
                                   "items": {"type": "array", "maxItems": 9, "items": NAME}},
                    "Metrics": {"type": "array", "maxItems": 100, "items": {
                        "type": "object", "required": ["Name"],
                        "properties": {"Name": NAME, "Unit": {"type": "string", "pattern": f"^({UNITS})$"}},
                    }},
                },
            }},
        },
    }},
}


def assert_valid(line: str) -> dict:
    """One document: the schema, then what a schema cannot say: every dimension key is
    a string member of the root, every metric a number (or at most 100 numbers) there."""
    document = json.loads(line)
    jsonschema.validate(document, SCHEMA)
    for directive in document["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive["Dimensions"]:
            for key in dimension_set:
                assert isinstance(document.get(key), str), f"dimension {key} is not a string member"
        for metric in directive["Metrics"]:
            value = document.get(metric["Name"])
            numbers = value if isinstance(value, list) else [value]
            assert len(numbers) <= 100 and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                               for v in numbers), metric
    return document


@pytest.fixture
def card(settings) -> ModelCard:
    return ModelCard.load(settings.card_path)


def test_an_interval_without_requests_writes_nothing(card):
    assert emf.EmfTally(card, "ns", LATENCY_BUCKETS).documents() == []


def test_the_documents_of_an_interval_are_valid_and_add_up(card):
    metrics = Metrics()
    metrics.set_model(card)
    metrics.emf = tally = emf.EmfTally(card, "iris-gateway", LATENCY_BUCKETS)
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


def test_a_real_gateway_writes_documents_for_a_burst_of_drifted_traffic(start_gateway):
    """Rows with a feature ten times the training maximum: the documents show the
    out-of-range share an alarm would compute (OutOfRangeRows / PredictedRows)."""
    gateway = start_gateway(emf_seconds="0.2", log_format="json", access_log="false")
    drifted = [value * 10 for value in ORIGINAL_ROW]
    for _ in range(5):
        assert httpx.post(gateway.url + "/predict", json={"instances": [drifted, list(ORIGINAL_ROW)]}).status_code \
            == 200

    def model_documents() -> list[dict]:
        documents = [json.loads(line) for line in gateway.output().splitlines() if line.startswith('{"_aws"')]
        found = [d for d in documents if emf.PREDICTED_ROWS in d]
        return found if sum(d[emf.PREDICTED_ROWS] for d in found) >= 10 else []

    documents = wait_until(model_documents, 30, "EMF documents covering the ten rows")
    for document in documents:
        assert_valid(json.dumps(document))
    rows = sum(d[emf.PREDICTED_ROWS] for d in documents)
    out_of_range = sum(d[emf.OUT_OF_RANGE_ROWS] for d in documents)
    assert (rows, out_of_range) == (10, 5)
    # The drift alarm's expression over these documents, against its threshold as deployed.
    threshold = defaults(REPO_ROOT / "infra" / "service" / "variables.tf")["drift_threshold_percent"]
    assert 100 * out_of_range / rows == 50.0 > threshold
