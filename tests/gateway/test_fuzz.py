"""Property-based fuzzing of a real gateway against its own OpenAPI document
(tests/fuzzing.py). Valid and invalid requests for every operation, v2 routes
included; every response must be documented and match its schema, and none may be a
5xx. Extends the hand-written bad-input tests."""
import httpx
import pytest

from tests.fuzzing import fuzz

pytestmark = pytest.mark.timeout(600)


def test_generated_requests_conform_and_never_fail(start_gateway, tmp_path):
    gateway = start_gateway(access_log="false")
    result, entries = fuzz(gateway.url, tmp_path, max_examples=80)
    statuses = [entry["response"]["status"] for entry in entries]
    assert result.returncode == 0, result.stdout[-6000:]
    assert len(entries) >= 1000, f"only {len(entries)} generated requests"
    assert not [status for status in statuses if status >= 500]
    assert any(status == 200 for status in statuses) and any(400 <= status < 500 for status in statuses)
    assert httpx.get(gateway.url + "/health").status_code == 200
    assert gateway.stop() == 0
