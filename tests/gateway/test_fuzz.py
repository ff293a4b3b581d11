"""Property-based fuzzing of a real gateway against its own OpenAPI document with
schemathesis (its CLI: the pytest plugin does not run under pytest 9). Valid and
invalid requests for every operation, v2 routes included; every response must be
documented and match its schema, and none may be a 5xx. Deterministic generation:
a failure reproduces on the next run. Extends the hand-written bad-input tests."""
import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest


CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_schema_conformance", "response_headers_conformance",
])
pytestmark = pytest.mark.timeout(600)


def test_generated_requests_conform_and_never_fail(start_gateway, tmp_path):
    gateway = start_gateway(access_log="false")
    cli = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(cli), "run", f"{gateway.url}/openapi.json", "--checks", CHECKS, "--max-examples", "80",
            "--generation-deterministic", "--workers", "1", "--no-color", "--request-timeout", "10",
            "--report", "har", "--report-dir", str(tmp_path / "report"),
        ],
        capture_output=True, text=True, timeout=540,
        cwd=tmp_path,  # schemathesis keeps a cache folder where it runs: not in the repository
    )
    (har,) = (tmp_path / "report").glob("har-*.json")
    entries = json.loads(har.read_text())["log"]["entries"]
    statuses = [entry["response"]["status"] for entry in entries]
    assert result.returncode == 0, result.stdout[-6000:]
    assert len(entries) >= 1000, f"only {len(entries)} generated requests"
    assert not [status for status in statuses if status >= 500]
    assert any(status == 200 for status in statuses) and any(400 <= status < 500 for status in statuses)
    assert httpx.get(gateway.url + "/health").status_code == 200
    assert gateway.stop() == 0
