"""Property-based fuzzing of a real gateway against its own OpenAPI document
(tests/fuzzing.py). Valid and invalid requests for every operation, v2 routes
included; every response must be documented and match its schema, and none may be a
5xx. Extends the hand-written bad-input tests."""
import pytest

from tests.fuzzing import assert_conforms_without_5xx

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def test_generated_requests_conform_and_never_fail(start_gateway, tmp_path):
    gateway = start_gateway(access_log="false")
    assert_conforms_without_5xx(gateway, tmp_path, max_examples=80, at_least=1000)
