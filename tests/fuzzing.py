"""Property-based fuzzing of a real gateway against its own OpenAPI document with
schemathesis (its CLI: the pytest plugin does not run under pytest 9)."""
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

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
