"""bench/report.py: each goal is read from a run's figures and judged met or missed by how much."""
import json

from bench.report import GOALS, goals
from tests.support import REPO_ROOT


def single_row(requests_per_second, p99_ms=1.0):
    return {"predict-1": {"32": {"requests_per_second": requests_per_second},
                          "1": {"requests_per_second": requests_per_second / 4, "p99_ms": p99_ms}}}


def test_a_goal_is_met_or_missed_by_its_share_of_the_target():
    results = {"servers": {"gateway": {"loads": single_row(3_000)}, "flask": {"loads": single_row(1_000)},
                           "starlette": {"loads": single_row(1_500)}}}
    rows = {row.split(" | ")[0].lstrip("| "): row for row in goals(results)}
    assert rows[">= 10x the original at 32 connections"].endswith("| 3.00x | missed by 70% of the target |")
    assert rows[">= 1.5x the plain Starlette handler"].endswith("| 2.00x | met |")
    assert rows[">= 50% of the bare-ASGI bound"].endswith("| not measured in this run | |")


def test_an_upper_limit_is_missed_by_how_far_it_is_exceeded():
    results = {"servers": {"gateway": {"loads": single_row(3_000, p99_ms=2.6)},
                           "gateway-no-log": {"loads": single_row(3_000, p99_ms=1.0)}}}
    (row,) = [row for row in goals(results) if "access log" in row]
    assert row.endswith("| 2.60x | missed by 100% of the target |")


def test_every_goal_is_judged_on_the_committed_run():
    results = json.loads((REPO_ROOT / "bench" / "results.json").read_text())
    rows = goals(results)
    assert len(rows) == len(GOALS)
    assert all(row.endswith("| met |") or "| missed by " in row for row in rows), rows


def instructions_text(on):
    return ("158,592 instructions per request (callgrind; access log on, shortcut, 1 row per request)\n"
            "   67.2%  the Python interpreter\nreproduce: make bench-instructions\n"
            f"{on:,} instructions per request (callgrind; access log on, shortcut, tracing at 1% and EMF every "
            "second, 1 row per request)\nreproduce: make bench-instructions\n")


def test_the_signals_cost_is_judged_on_the_instruction_counts():
    results = {"servers": {}}
    (met,) = [row for row in goals(results, instructions_text(170_000)) if "(callgrind)" in row]
    assert met.endswith("| 1.07x (170,000 against 158,592) | met |")
    (missed,) = [row for row in goals(results, instructions_text(180_000)) if "(callgrind)" in row]
    assert missed.endswith("| 1.13x (180,000 against 158,592) | missed by 3% of the target |")
    assert not [row for row in goals(results) if "(callgrind)" in row]
