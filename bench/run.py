"""Benchmark the gateway against the original design, the servers users would
write instead, and an upper bound, in one run.

    make bench              (builds the venvs, installs wrk if missing, then runs this)

Every server is started here on 127.0.0.1, warmed up, loaded with wrk, and stopped.
With two or more cores the server is pinned to core 0, wrk and this process to core 1. The
servers are measured in rounds (all of them, then all again), and each figure is
the best of its rounds: on a shared virtual machine a neighbour only ever slows a
run down, and interleaving spreads a slow spell over different servers.
"""
import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench import report, sizes
from bench.load import run_wrk
from bench.otlp import otlp_receiver
from bench.servers import REPO, VENVS, Running, free_port, specs
from bench.workloads import MIXED_NAME, MIXED_SPEC, write, write_mixed

COMMAND = "make bench"
# The order servers are measured in, each round. The gateway's variants come right
# before it, so that each is measured within a minute of the gateway's own single-row
# figure it is compared with (a shared machine's speed drifts over minutes).
SCENARIOS = {
    "gateway-no-log": ["predict-1"],
    "gateway-signals": ["predict-1"],
    "gateway": ["predict-1", "predict-1000", "v2-json-1", "v2-json-1000", "v2-binary-1000"],
    "gateway-routed": ["predict-1"],
    "starlette": ["predict-1"],
    "fastapi": ["predict-1"],
    "flask": ["predict-1"],
    "gunicorn": ["predict-1"],
    "minimal": ["predict-1"],
    "bare-asgi": ["predict-1"],
    "gateway-mixed": ["mixed-1", "mixed-1-named", "mixed-1000", "mixed-1000-gaps", "mixed-v2-1000"],
}


def train_baseline(directory: Path) -> Path:
    """The original design's pickled scikit-learn model, trained as it trained it."""
    model = directory / "iris_model.pkl"
    trainer = REPO / "bench" / "baselines" / "train_baseline.py"
    subprocess.run([str(VENVS / "baseline" / "bin" / "python"), str(trainer), str(model)], check=True)
    return model


def build_mixed(directory: Path) -> Path:
    """The mixed example's model and card, built as a user builds them (make model SPEC=...)."""
    subprocess.run(["make", "--no-print-directory", "model", f"SPEC={MIXED_SPEC}", f"MODEL_DIR={directory}"],
                   cwd=REPO, check=True, capture_output=True)
    return directory


@dataclass(frozen=True)
class Inputs:
    """What the servers are started with: the original's pickled model, the mixed
    example's folder, and the OTLP endpoint a traced gateway exports to."""
    model: Path
    mixed: Path | None = None
    otlp: str | None = None


def start(name: str, inputs: Inputs, core: str | None) -> Running:
    port = free_port()
    return Running(next(s for s in specs(port, inputs.model, inputs.mixed, inputs.otlp) if s.name == name), port, core)


def cold_starts(name: str, inputs: Inputs, runs: int, core: str | None) -> list[float]:
    """Process start to first 200, several times (the first also pays for a cold disk cache)."""
    times = []
    for _ in range(runs):
        server = start(name, inputs, core)
        try:
            times.append(server.wait_ready())
        finally:
            server.stop()
    return times


def measure_server(name: str, inputs: Inputs, workloads: dict, args, cores: tuple[str | None, str | None]) -> dict:
    server_core, load_core = cores
    starts = cold_starts(name, inputs, args.cold_starts, server_core)
    server = start(name, inputs, server_core)
    server.wait_ready()
    result = {"label": server.spec.label, "cold_starts_s": starts, "loads": {}}
    try:
        for scenario in SCENARIOS[name]:
            workload = workloads[scenario]
            run_wrk(server.url, workload, 32, args.warmup, load_core)  # warm-up, not recorded
            loads = {}
            for connections in (1, 32):
                loaded = run_wrk(server.url, workload, connections, args.seconds, load_core).to_dict()
                loaded["rows_per_second"] = loaded["requests_per_second"] * workload.rows
                loads[str(connections)] = loaded
            result["loads"][scenario] = loads
            print(f"  {name:10} {scenario:15} c32 {loads['32']['requests_per_second']:>10,.0f} req/s", flush=True)
        result["rss_mb_after_load"] = server.rss_mb()
    finally:
        server.stop()
    return result


def cpu_model() -> str:
    """The CPU's model name as the kernel reports it (x86: /proc/cpuinfo's "model name"),
    and its widest vector extension: a virtual machine's model name is often generic."""
    try:
        info = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or platform.machine()
    fields = dict(line.split(":", 1) for line in info.splitlines()[:40] if ":" in line)
    fields = {key.strip(): value.strip() for key, value in fields.items()}
    flags = set(fields.get("flags", "").split())
    vector = next((name for flag, name in (("avx512f", "AVX-512"), ("avx2", "AVX2"), ("avx", "AVX")) if flag in flags),
                  None)
    model = fields.get("model name", platform.machine())
    return f"{model}, {vector}" if vector else model


def machine(pinned: bool) -> dict:
    """What a run was measured on: ratios move between machines, so results name it."""
    number, built = platform.python_build()
    return {"cpus": os.cpu_count(), "cpu": cpu_model(), "python": platform.python_version(),
            "python_build": f"{platform.python_implementation()} {platform.python_version()} ({number}, {built}; "
                            f"{platform.python_compiler()})",
            "pinned": pinned, "kernel": platform.release()}


def best_of(rounds: list[dict]) -> dict:
    """One server's rounds as one result: each figure the best any round gave."""
    best = {**rounds[0], "cold_starts_s": [t for r in rounds for t in r["cold_starts_s"]], "loads": {}}
    best["cold_start_s"] = statistics.median(best["cold_starts_s"])
    best["rss_mb_after_load"] = max(r["rss_mb_after_load"] for r in rounds)
    for scenario, loads in rounds[0]["loads"].items():
        best["loads"][scenario] = {}
        for connections in loads:
            runs = [r["loads"][scenario][connections] for r in rounds]
            fastest = max(runs, key=lambda run: run["requests_per_second"])
            best["loads"][scenario][connections] = {
                **fastest,
                "p50_ms": min(run["p50_ms"] for run in runs), "p99_ms": min(run["p99_ms"] for run in runs),
                "non_2xx": sum(run["non_2xx"] for run in runs),
                "socket_errors": sum(run["socket_errors"] for run in runs),
                "rounds_requests_per_second": [run["requests_per_second"] for run in runs],
            }
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="each measured wrk run (%(default)s)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up per scenario (%(default)s)")
    parser.add_argument("--cold-starts", type=int, default=3, help="cold starts per server and round (%(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="times every server is measured (%(default)s)")
    parser.add_argument("--out", type=Path, default=REPO / "bench")
    parser.add_argument("--servers", nargs="+", choices=list(SCENARIOS), default=list(SCENARIOS),
                        help="measure only these (the report then has only the figures it can compute)")
    args = parser.parse_args()
    cores = ("0", "1") if (os.cpu_count() or 1) >= 2 else (None, None)
    if cores[1] is not None:
        # This process (the traced gateway's OTLP receiver among it) keeps to wrk's core:
        # the server's core is the server's alone.
        os.sched_setaffinity(0, {int(cores[1])})
    with tempfile.TemporaryDirectory() as work:
        workdir = Path(work)
        workloads = write(workdir / "bodies")
        model = train_baseline(workdir)
        mixed = build_mixed(workdir / "mixed") if "gateway-mixed" in args.servers else None
        if mixed is not None:
            workloads.update(write_mixed(workdir / "bodies", json.loads((mixed / f"{MIXED_NAME}.json").read_text())))
        rounds: dict[str, list[dict]] = {name: [] for name in args.servers}
        # The traced gateway's spans go to a receiver in this process, which waits on
        # wrk meanwhile; the spans it got show the sampling at work.
        with otlp_receiver() as receiver:
            inputs = Inputs(model, mixed, receiver.endpoint)
            for number in range(1, args.rounds + 1):
                for name in args.servers:
                    print(f"round {number}, {name}: cold starts, then load", flush=True)
                    rounds[name].append(measure_server(name, inputs, workloads, args, cores))
            spans = len(receiver.received())
        servers = {name: best_of(measured) for name, measured in rounds.items()}
        if "gateway-signals" in servers:
            servers["gateway-signals"]["spans_received"] = spans
    results = {
        "command": COMMAND,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(cores != (None, None)),
        "settings": {"seconds": args.seconds, "warmup": args.warmup, "cold_starts": args.cold_starts,
                     "rounds": args.rounds},
        "servers": servers,
        "sizes_mb": sizes.all_sizes(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    text = report.markdown(results, **report.profiles(args.out))
    (args.out / "results.md").write_text(text)
    report.chart(results, args.out / "results.png")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
