"""Sampled payload logging on a real gateway: never more lines than its cap, and none
unless asked for."""
import json
import time

import httpx
import numpy as np

from tests.support import ORIGINAL_ROW
from tests.waiting import wait_until


def test_a_real_gateway_writes_sampled_payloads_within_its_cap(start_gateway):
    gateway = start_gateway(payload_sample="1", payload_max_per_second="2", access_log="false")
    started = time.monotonic()
    for number in range(30):
        response = httpx.post(gateway.url + "/predict", json={"features": list(ORIGINAL_ROW)},
                              headers={"x-request-id": f"payload-{number}"})
        assert response.status_code == 200
    elapsed = time.monotonic() - started
    assert gateway.stop() == 0  # the logging thread writes every queued line before the process ends
    written = [json.loads(line) for line in gateway.output().splitlines() if '"request_id":"payload-' in line]
    # The bucket starts full (2) and refills at 2 a second while the requests ran.
    assert 1 <= len(written) <= 2 + 2 * elapsed
    first = written[0]
    assert first["request_id"] == "payload-0" and first["labels"] == [0]
    assert np.allclose(first["numbers"], [ORIGINAL_ROW])


def test_by_default_nothing_is_written(start_gateway):
    gateway = start_gateway(access_log="true")
    assert httpx.post(gateway.url + "/predict", json={"features": list(ORIGINAL_ROW)},
                      headers={"x-request-id": "unsampled-1"}).status_code == 200
    wait_until(lambda: "unsampled-1" in gateway.output(), 30, "the access line")
    assert '"number_columns"' not in gateway.output()
