"""A real gateway writes CloudWatch Embedded Metric Format documents (gateway/signals/emf.py)
for a burst of drifted traffic, each valid by the format's rules."""
import json

import httpx

from gateway.signals import emf
from tests.gateway.emf_documents import assert_valid
from tests.infra.terraform import defaults
from tests.support import ORIGINAL_ROW, REPO_ROOT
from tests.waiting import wait_until


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
