"""Property-based fuzzing of a real gateway against its own OpenAPI document with
schemathesis (its CLI: the pytest plugin does not run under pytest 9)."""
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

CHECKS = ",".join([
    "not_a_server_error", "status_code_conformance", "content_type_conformance",
    "response_schema_conformance", "response_headers_conformance",
])


def fuzz(url: str, work: Path, max_examples: int) -> tuple[subprocess.CompletedProcess, list[dict[str, Any]]]:
    """Run schemathesis on `url`'s /openapi.json, deterministically (a failure reproduces
    on the next run): its result and the HAR entries of every request it sent."""
    cli = Path(sys.executable).with_name("schemathesis")
    result = subprocess.run(
        [
            str(cli), "run", f"{url}/openapi.json", "--checks", CHECKS, "--max-examples", str(max_examples),
            "--generation-deterministic", "--workers", "1", "--no-color", "--request-timeout", "10",
            "--report", "har", "--report-dir", str(work / "report"),
        ],
        capture_output=True, text=True, timeout=540,
        cwd=work,  # schemathesis keeps a cache folder where it runs: not in the repository
    )
    (har,) = (work / "report").glob("har-*.json")
    return result, json.loads(har.read_text())["log"]["entries"]


def assert_conforms_without_5xx(gateway: Any, work: Path, max_examples: int, at_least: int) -> None:
    """Fuzz a running gateway: schemathesis passes, at least `at_least` requests were
    generated, none got a 5xx, some were answered 200 and some refused 4xx, the
    gateway is healthy after and stops cleanly."""
    result, entries = fuzz(gateway.url, work, max_examples)
    statuses = [entry["response"]["status"] for entry in entries]
    assert result.returncode == 0, result.stdout[-6000:]
    assert len(entries) >= at_least, f"only {len(entries)} generated requests"
    assert not [status for status in statuses if status >= 500]
    assert any(status == 200 for status in statuses) and any(400 <= status < 500 for status in statuses)
    assert httpx.get(gateway.url + "/health").status_code == 200
    assert gateway.stop() == 0
