"""bench/results.md and bench/results.png from the raw results."""
import json
import re
import statistics
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Final

from bench.workloads import GAP_SHARE


@dataclass(frozen=True)
class Goal:
    """A figure the issues ask of the gateway, and how to read it from a run's results."""
    text: str
    figure: Callable[[dict], float]
    target: float
    at_least: bool  # True: figure >= target; False: figure <= target (< target when `strict`)
    unit: str  # how the figure is shown: "x", "%", "s", "MB", "M rows/s"
    strict: bool = False  # an upper limit the text writes "<": the target itself misses it

    def shown(self, value: float) -> str:
        if self.unit == "%":
            return f"{value:.0%}"
        if self.unit == "x":
            return f"{value:.2f}x"
        return f"{value:,.2f} {self.unit}" if self.unit != "MB" else f"{value:,.0f} MB"

    def verdict(self, value: float) -> str:
        return verdict(value, self.target, self.at_least, self.strict)


def verdict(value: float, target: float, at_least: bool, strict: bool = False) -> str:
    """Met, or by how much it is missed (relative to the target; a miss under 1% is
    shown to a tenth of a percent, never as "0%")."""
    if value >= target if at_least else (value < target if strict else value <= target):
        return "met"
    short = (target - value) / target if at_least else (value - target) / target
    return f"missed by {short:.0%} of the target" if short >= 0.01 else f"missed by {short:.1%} of the target"


# The share of the minimal handler's single-row requests/s the gateway aims at.
MINIMAL_SHARE: Final = 0.85


def _rps(results: dict, server: str, scenario: str = "predict-1", connections: str = "32") -> float:
    return results["servers"][server]["loads"][scenario][connections]["requests_per_second"]


def _p99(results: dict, server: str, connections: str = "1") -> float:
    return results["servers"][server]["loads"]["predict-1"][connections]["p99_ms"]


def _rows(results: dict, scenario: str) -> float:
    return results["servers"]["gateway"]["loads"][scenario]["32"]["rows_per_second"] / 1e6


def _best_rows(results: dict, *scenarios: str) -> float:
    """The best rows/s of those scenarios this run measured; KeyError if it measured none."""
    measured = [results["servers"]["gateway"]["loads"].get(scenario) for scenario in scenarios]
    if not any(measured):
        raise KeyError(scenarios)
    return max(_rows(results, scenario) for scenario, load in zip(scenarios, measured) if load)


# The access log's cost to the tail. Judged on bench/tail.json (`make bench-tail`: long
# runs, the median of interleaved rounds) where there is one, else on this run's 5 s runs.
P99_GOAL: Final = "p99 at 1 connection with the access log on within 1.2x of it off"
P99_TARGET: Final = 1.2

GOALS: tuple[Goal, ...] = (
    Goal(">= 10x the original at 32 connections",
         lambda r: _rps(r, "gateway") / _rps(r, "flask"), 10, True, "x"),
    Goal(">= 1.5x the plain Starlette handler",
         lambda r: _rps(r, "gateway") / _rps(r, "starlette"), 1.5, True, "x"),
    Goal(">= 50% of the bare-ASGI bound",
         lambda r: _rps(r, "gateway") / _rps(r, "bare-asgi"), 0.5, True, "%"),
    Goal(">= 85% of the minimal handler (read, orjson, one onnxruntime call, orjson)",
         lambda r: _rps(r, "gateway") / _rps(r, "minimal"), MINIMAL_SHARE, True, "%"),
    Goal(P99_GOAL, lambda r: _p99(r, "gateway") / _p99(r, "gateway-no-log"), P99_TARGET, False, "x"),
    Goal("tracing at 1% and EMF on: single-row requests/s within 10% of everything off",
         lambda r: _rps(r, "gateway-signals") / _rps(r, "gateway"), 0.9, True, "x"),
    Goal("cold start < 0.5 s", lambda r: r["servers"]["gateway"]["cold_start_s"], 0.5, False, "s", strict=True),
    Goal("RSS after load < 100 MB", lambda r: r["servers"]["gateway"]["rss_mb_after_load"], 100, False, "MB",
         strict=True),
    Goal(">= 1 M rows/s for 1,000-row JSON batches",
         lambda r: _best_rows(r, "predict-1000", "v2-json-1000"), 1, True, "M rows/s"),
    Goal(">= 5 M rows/s for 1,000-row binary batches",
         lambda r: _rows(r, "v2-binary-1000"), 5, True, "M rows/s"),
)


# What bench/instructions.txt measures, as bench.inprocess.describe names it.
SHORTCUT = "access log on, shortcut, 1 row per request"
ROUTED = "access log on, routed, 1 row per request"
WITH_SIGNALS = "access log on, shortcut, tracing at 1% and EMF every second, 1 row per request"
MINIMAL = "the minimal handler, 1 row per request"


def counted(instructions: str) -> dict[str, tuple[int, list[str]]]:
    """bench/instructions.txt read: for each thing measured (the text in brackets after
    "callgrind; "), the instructions per request and the lines sharing them out between
    libraries."""
    found: dict[str, tuple[int, list[str]]] = {}
    shares: list[str] = []
    for line in instructions.splitlines():
        match = re.fullmatch(r"([\d,]+) instructions per request \(callgrind; (.*)\)", line)
        if match:
            shares = []
            found[match[2]] = (int(match[1].replace(",", "")), shares)
        elif re.match(r"\s+[\d.]+%", line):
            shares.append(line.strip())
    return found


SIGNALS_GOAL = "tracing at 1% and EMF on: instructions per request within 10% of everything off (callgrind)"
INSTRUCTIONS_GOAL = "<= 100,000 in-process instructions per single-row request, access log on (callgrind)"
INSTRUCTIONS_TARGET = 100_000


def tail_p99s(measured: dict) -> tuple[float, float]:
    """bench/tail.json's p99 with the access log on and off: the medians of its rounds."""
    on, off = (statistics.median(measured["servers"][server]["p99_ms"]) for server in ("gateway", "gateway-no-log"))
    return on, off


def tail_row(tail: str) -> str:
    """The p99 goal's row from bench/tail.json."""
    measured = json.loads(tail)
    on, off = tail_p99s(measured)
    return (f"| {P99_GOAL} | {on / off:.2f}x ({on:.3f} against {off:.3f} ms, median of {measured['rounds']} rounds of"
            f" {measured['seconds']:g} s, `make bench-tail`) | {verdict(on / off, P99_TARGET, False)} |")


def goals(results: dict, instructions: str | None = None, tail: str | None = None) -> list[str]:
    """The goals as table rows: each one's figure in this run (and in bench/instructions.txt
    and bench/tail.json) and whether it is met."""
    rows = []
    for goal in GOALS:
        if goal.text == P99_GOAL and tail:
            rows.append(tail_row(tail))
            continue
        try:
            value = goal.figure(results)
        except KeyError:  # a server or a scenario this run did not measure (make bench --servers ...)
            rows.append(f"| {goal.text} | not measured in this run | |")
        else:
            rows.append(f"| {goal.text} | {goal.shown(value)} | {goal.verdict(value)} |")
    counts = counted(instructions or "")
    if SHORTCUT in counts:
        spent, _ = counts[SHORTCUT]
        rows.append(f"| {INSTRUCTIONS_GOAL} | {spent:,} | {verdict(spent, INSTRUCTIONS_TARGET, False)} |")
    if SHORTCUT in counts and WITH_SIGNALS in counts:
        (off, _), (on, _) = counts[SHORTCUT], counts[WITH_SIGNALS]
        rows.append(f"| {SIGNALS_GOAL} | {on / off:.2f}x ({on:,} against {off:,}) | {verdict(on / off, 1.1, False)} |")
    return rows


@dataclass(frozen=True)
class Baseline:
    """A server the gateway's single-row requests/s are compared with, and how the
    headline says it: `text` holds {ratio}, the gateway's figure over the baseline's
    in `shown`'s format, and {other}, the baseline's requests/s."""
    server: str
    text: str
    shown: str  # a format spec for the ratio: ".1f" (shown as 9.2x), ".2f", or ".0%"

    def line(self, gateway: float, other: float) -> str:
        ratio = gateway / other
        figure = f"{ratio:{self.shown}}" + ("" if self.shown.endswith("%") else "x")
        return self.text.format(ratio=f"**{figure}**", other=f"{other:,.0f}", gateway=f"{gateway:,.0f}")


# The headline's comparisons, in the order it shows them.
BASELINES: tuple[Baseline, ...] = (
    Baseline("flask", "gateway vs original Flask server, one row, 32 connections: {ratio} "
             "({gateway} vs {other} requests/s)", ".1f"),
    Baseline("gunicorn", "gateway vs the original under gunicorn: {ratio} ({other} requests/s)", ".1f"),
    Baseline("starlette", "gateway vs a plain Starlette + onnxruntime handler: {ratio} ({other} requests/s)", ".2f"),
    Baseline("fastapi", "gateway vs FastAPI + pydantic + onnxruntime: {ratio} ({other} requests/s)", ".1f"),
    Baseline("gateway-routed", "the front door's shortcut past Starlette's router: {ratio} the routed gateway "
             "({other} requests/s)", ".2f"),
    Baseline("minimal", "gateway reaches {ratio} of the minimal handler, the practical limit: read, orjson, one "
             "onnxruntime call, orjson ({other} requests/s)", ".0%"),
    Baseline("bare-asgi", "gateway reaches {ratio} of the bare-ASGI upper bound ({other} requests/s)", ".0%"),
)


def headline(results: dict) -> list[str]:
    """The figures the goals are about, each where the run measured what it needs."""
    measured = results["servers"]
    gateway = _rps(results, "gateway")
    lines = []
    for baseline in BASELINES:
        if baseline.server in measured:
            other = _rps(results, baseline.server)
            lines.append(baseline.line(gateway, other))
    if "gateway-no-log" in measured:
        logged, quiet = _p99(results, "gateway"), _p99(results, "gateway-no-log")
        lines.append(f"p99 at 1 connection: {logged:.3f} ms with the access log, {quiet:.3f} ms without "
                     f"(**{logged / quiet:.2f}x**)")
    if "gateway-signals" in measured:
        signals = _rps(results, "gateway-signals")
        lines.append(f"tracing at 1% and EMF every second: **{signals / gateway:.2f}x** the gateway with both off "
                     f"({signals:,.0f} requests/s; p99 at 1 connection {_p99(results, 'gateway-signals'):.3f} ms; "
                     f"{measured['gateway-signals'].get('spans_received', 0):,} spans received)")
    if "gateway-mixed" in measured:
        mixed = measured["gateway-mixed"]["loads"]
        lines.append(
            f"mixed example (numbers, categories and gaps): one row"
            f" {mixed['mixed-1']['32']['requests_per_second']:,.0f}"
            f" requests/s by position, {mixed['mixed-1-named']['32']['requests_per_second']:,.0f} by name;"
            f" 1,000-row batches {mixed['mixed-1000']['32']['rows_per_second'] / 1e6:.2f} M rows/s on /predict"
            + (f" ({mixed['mixed-1000-gaps']['32']['rows_per_second'] / 1e6:.2f} M with {GAP_SHARE:.0%} of the"
               f" cells null)" if "mixed-1000-gaps" in mixed else "")
            + f", {mixed['mixed-v2-1000']['32']['rows_per_second'] / 1e6:.2f} M rows/s on v2 (BYTES columns)")
    loads = measured["gateway"]["loads"]
    if "v2-json-1" in loads:
        lines.append(f"v2 JSON infer, one row: {loads['v2-json-1']['32']['requests_per_second'] / gateway:.0%} of "
                     "`/predict`'s requests/s")
    if {"predict-1000", "v2-json-1000", "v2-binary-1000"} <= loads.keys():
        json_rows = max(loads["predict-1000"]["32"]["rows_per_second"],
                        loads["v2-json-1000"]["32"]["rows_per_second"])
        binary_rows = loads["v2-binary-1000"]["32"]["rows_per_second"]
        binary_vs_json = binary_rows / loads["v2-json-1000"]["32"]["rows_per_second"]
        lines.append(f"1,000-row batches: {json_rows / 1e6:.2f} M rows/s over JSON (best of /predict and v2), "
                     f"{binary_rows / 1e6:.2f} M rows/s over binary tensors ({binary_vs_json:.1f}x v2 JSON)")
    lines.append(f"gateway cold start {measured['gateway']['cold_start_s']:.3f} s (median); RSS after load "
                 f"{measured['gateway']['rss_mb_after_load']:.0f} MB")
    return lines


def what_is_left(results: dict, instructions: str | None, ablation: str | None = None) -> list[str]:
    """Where a single-row request's time goes on the serving core: what the minimal
    handler does, what the gateway's features add (each one's share: `ablation`,
    bench/ablation.txt), and what the goal against the minimal handler leaves for them."""
    try:
        micros = {name: 1e6 / _rps(results, name) for name in ("gateway", "minimal", "bare-asgi")}
    except KeyError:
        return []
    gateway, minimal, bare = micros["gateway"], micros["minimal"], micros["bare-asgi"]
    target = minimal / MINIMAL_SHARE
    lines = [
        f"At 32 connections the serving core spends {gateway:.1f} us on a single-row request to the gateway, "
        f"{minimal:.1f} us on one to the minimal handler and {bare:.1f} us on one to the bare-ASGI bound (uvicorn, "
        f"the event loop and the socket system calls, no application). The gateway's features beyond the minimal "
        f"handler's work (request id, admission, body deadline, content checks, metrics, drift and unproven-row "
        f"counters, access log) cost {gateway - minimal:.1f} us a request; {MINIMAL_SHARE:.0%} of the minimal "
        f"handler's requests/s means {target:.1f} us a request in all, {target - minimal:.1f} us for them.",
    ]
    profiled = counted(instructions or "")
    if SHORTCUT in profiled:
        total, shares = profiled[SHORTCUT]
        lines += ["", f"Where the gateway's work goes, in-process under callgrind ({total:,} instructions per "
                  "request, `make bench-instructions`, bench/instructions.txt):", "",
                  *[f"- {share}" for share in shares], "",
                  *([f"The minimal handler, measured the same way, spends {profiled[MINIMAL][0]:,} instructions "
                     f"a request: the gateway's features cost {total - profiled[MINIMAL][0]:,} more.", ""]
                    if MINIMAL in profiled else []),
                  "The interpreter's share is Python on every request, the gateway's and the minimal handler's "
                  "alike: the front door (request id, admission, timing), reading the body under its deadline, the "
                  "JSON codec and its checks, the bounds check, the metrics tally and the access-log line. "
                  "onnxruntime, numpy and orjson are native code already; docs/design.md (\"The hot path\") says "
                  "what each step costs and why what is left stays."]
    if ablation:
        table = [line for line in ablation.splitlines() if not line.startswith("reproduce:")]
        lines += ["", "What each feature costs, taken out in turn and the request counted again under callgrind "
                  "(`make bench-ablation`, bench/ablation.txt):", "", "```", *table, "```"]
    return lines


def machine_line(machine: dict) -> str:
    """The CPU and Python a run was measured on (older results name neither)."""
    cpu = machine.get("cpu", "CPU not recorded")
    python = machine.get("python_build", f"Python {machine['python']}")
    return f"{machine['cpus']} CPUs ({cpu}), {python}"


def profiles(folder: Path) -> dict[str, str]:
    """What other benchmarks wrote beside a run's results: bench/instructions.txt as
    `instructions`, bench/ablation.txt as `ablation` (for the section on what is left),
    bench/tail.json as `tail` (for the p99 goal)."""
    files = {"instructions": folder / "instructions.txt", "ablation": folder / "ablation.txt",
             "tail": folder / "tail.json"}
    return {name: path.read_text() for name, path in files.items() if path.exists()}


def markdown(results: dict, instructions: str | None = None, ablation: str | None = None,
             tail: str | None = None) -> str:
    """`instructions`, `ablation` and `tail`: the files profiles() reads."""
    lines = [
        "# Benchmark results",
        "",
        f"Run: `{results['command']}` on {results['when']}; {machine_line(results['machine'])}, server and wrk "
        f"pinned to separate cores: {results['machine']['pinned']}. "
        f"Each figure is the best of {results['settings']['rounds']} rounds of one wrk run of "
        f"{results['settings']['seconds']:g} s after a {results['settings']['warmup']:g} s warm-up, the servers "
        "measured in turn each round; one worker per server.",
        "",
        "Absolute numbers vary between machines and, on a shared virtual machine, between minutes (each round's "
        "requests/s are in `bench/results.json`); the ratios within one run are the result. "
        "Chart: `bench/results.png`.",
        "",
        "## Headline",
        "",
        *[f"- {line}" for line in headline(results)],
        "",
        "## Goals",
        "",
        "| goal | this run | |",
        "| --- | ---: | --- |",
        *goals(results, instructions, tail),
        "",
        *(["## What is left", "", *left, ""] if (left := what_is_left(results, instructions, ablation)) else []),
        "## Every measurement",
        "",
        "| server | request | conns | requests/s | rows/s | p50 ms | p99 ms | non-2xx | socket errors |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, server in results["servers"].items():
        for scenario, loads in server["loads"].items():
            for connections, load in loads.items():
                lines.append(
                    f"| {name} | {scenario} | {connections} | {load['requests_per_second']:,.0f} | "
                    f"{load['rows_per_second']:,.0f} | {load['p50_ms']:.3f} | {load['p99_ms']:.3f} | "
                    f"{load['non_2xx']} | {load['socket_errors']} |"
                )
    lines += [
        "",
        "| server | what | cold start (median) | RSS after load |",
        "| --- | --- | ---: | ---: |",
    ]
    for name, server in results["servers"].items():
        lines.append(
            f"| {name} | {server['label']} | {server['cold_start_s']:.3f} s | {server['rss_mb_after_load']:.0f} MB |"
        )
    lines += ["", "| dependency set | installed MB |", "| --- | ---: |"]
    lines += [f"| {name} | {size} |" for name, size in results["sizes_mb"].items()]
    lines += ["", f"Reproduce: `{results['command']}`", ""]
    return "\n".join(lines)


def chart(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, values, colours, notes = [], [], [], []
    palette = {"gateway": "#1f77b4", "gateway-no-log": "#6baed6", "gateway-routed": "#9ecae1", "starlette": "#2ca02c",
               "fastapi": "#9467bd", "flask": "#d62728", "gunicorn": "#ff7f0e", "bare-asgi": "#7f7f7f",
               "gateway-mixed": "#17becf", "gateway-signals": "#aec7e8", "minimal": "#bcbd22"}
    flask = _rps(results, "flask") if "flask" in results["servers"] else None
    for name, server in results["servers"].items():
        for scenario, loads in server["loads"].items():
            load = loads["32"]
            labels.append(f"{name}\n{scenario}")
            values.append(load["requests_per_second"])
            colours.append(palette[name])
            batch = load["rows_per_second"] > load["requests_per_second"]
            # A ratio of requests/s means something only between single-row requests.
            notes.append(f"{load['requests_per_second']:,.0f}\n" + (
                f"{load['rows_per_second'] / 1e6:.2f} M rows/s" if batch else
                f"{load['requests_per_second'] / flask:.1f}x" if flask else ""
            ))
    figure, axis = plt.subplots(figsize=(14, 5))
    bars = axis.bar(range(len(values)), values, color=colours)
    axis.set_xticks(range(len(values)), labels, fontsize=8)
    axis.set_ylabel("requests/s (32 connections, one worker)")
    axis.set_title(f"Gateway vs the original Flask + scikit-learn design and the alternatives ({results['when']})")
    for bar, value, note in zip(bars, values, notes):
        axis.annotate(note, (bar.get_x() + bar.get_width() / 2, value), ha="center", va="bottom", fontsize=7)
    axis.margins(y=0.2)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    # Redraw the table and chart from a results file: python -m bench.report bench/results.json
    import sys

    source = Path(sys.argv[1])
    data = json.loads(source.read_text())
    (source.parent / "results.md").write_text(markdown(data, **profiles(source.parent)))
    chart(data, source.parent / "results.png")
