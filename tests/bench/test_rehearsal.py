"""The short rehearsal (scenarios 1 to 3, timings scaled by 0.1) on every `make test`:
three replicas of the serve image behind HAProxy under constant load (gateway
processes from the serve venv where no container engine works)."""
import json
import subprocess
import sys

import pytest

from bench.rehearsal.scenarios import CONNECTIONS, NEW, OLD
from bench.rehearsal.timings import terraform_defaults
from tests import summary

pytestmark = [pytest.mark.container, pytest.mark.apt, pytest.mark.timeout(900)]
SCALE = 0.1


@pytest.fixture(scope="module")
def report(repo_root, tmp_path_factory):
    # The image test builds it; warm, this costs seconds.
    subprocess.run(["make", "--no-print-directory", "images", "TAG=test"], cwd=repo_root, check=True,
                   capture_output=True)
    path = tmp_path_factory.mktemp("rehearsal") / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench.rehearsal", "--image", "iris-serve:test", "--scale", str(SCALE), "--short",
         "--json", str(path)],
        cwd=repo_root, capture_output=True, text=True, timeout=840,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(path.read_text())
    summary.lines.append(f"rehearsal, short ({figures['backend']}):")
    summary.lines += [line for line in done.stdout.splitlines() if line.startswith(("| 1.", "| 2.", "| 3."))]
    return figures


def test_timings_come_from_terraform_scaled_in_order(report):
    expected = terraform_defaults().scaled(SCALE)
    assert report["timings"] == expected.as_dict()
    t = expected
    assert t.deregistration_delay < t.drain_seconds < t.drain_seconds + t.shutdown_seconds < t.stop_timeout


def test_a_rolling_replacement_loses_nothing(report):
    roll = report["rolling_replacement"]
    assert roll["requests"] > 1000
    assert roll["failed"] == 0, roll
    assert set(roll["releases_seen"]) == {OLD, NEW}, "every answer came from the old or the new release"
    assert roll["old_exit_codes"] == [0, 0, 0], "each old replica drained and exited cleanly"


def test_a_killed_replica_costs_at_most_the_requests_in_flight(report):
    kill = report["killed_replica"]
    assert kill["failed_after_kill"] <= CONNECTIONS, kill
    assert kill["answered_by_victim_after_kill"] == 0


def test_a_replica_that_never_becomes_ready_gets_no_request(report):
    never = report["never_ready"]
    assert never["requests_to_never_ready"] == 0
    assert never["rollout_stopped"] and never["failed_launches"] == 3
    assert never["failed"] == 0, "the fleet kept serving"
