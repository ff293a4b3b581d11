"""Benchmark the gateway against the original design and an upper bound, in one run.

    make bench              (builds the venvs, installs wrk if missing, then runs this)

Every server is started here on 127.0.0.1, warmed up, loaded with wrk, and stopped.
With two or more cores the server is pinned to core 0 and wrk to core 1.
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
from pathlib import Path

from bench import report, sizes
from bench.load import run_wrk
from bench.servers import REPO, VENVS, Running, free_port, specs
from bench.workloads import write

COMMAND = "make bench"
SCENARIOS = {
    "gateway": ["predict-1", "predict-1000", "v2-json-1", "v2-json-1000", "v2-binary-1000"],
    "flask": ["predict-1"],
    "gunicorn": ["predict-1"],
    "bare-asgi": ["predict-1"],
}


def start(name: str, model: Path, core: str | None) -> Running:
    port = free_port()
    return Running(next(s for s in specs(port, model) if s.name == name), port, core)


def cold_starts(name: str, model: Path, runs: int, core: str | None) -> list[float]:
    """Process start to first 200, several times (the first also pays for a cold disk cache)."""
    times = []
    for _ in range(runs):
        server = start(name, model, core)
        try:
            times.append(server.wait_ready())
        finally:
            server.stop()
    return times


def measure_server(name: str, model: Path, workloads: dict, args, cores: tuple[str | None, str | None]) -> dict:
    server_core, load_core = cores
    starts = cold_starts(name, model, args.cold_starts, server_core)
    server = start(name, model, server_core)
    server.wait_ready()
    result = {
        "label": server.spec.label, "cold_start_s": statistics.median(starts), "cold_starts_s": starts, "loads": {},
    }
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0, help="each measured wrk run (%(default)s)")
    parser.add_argument("--warmup", type=float, default=2.0, help="warm-up per scenario (%(default)s)")
    parser.add_argument("--cold-starts", type=int, default=5, help="cold starts per server (%(default)s)")
    parser.add_argument("--out", type=Path, default=REPO / "bench")
    args = parser.parse_args()
    cores = ("0", "1") if (os.cpu_count() or 1) >= 2 else (None, None)
    with tempfile.TemporaryDirectory() as work:
        workdir = Path(work)
        workloads = write(workdir / "bodies")
        model = workdir / "iris_model.pkl"
        trainer = REPO / "bench" / "baselines" / "train_baseline.py"
        subprocess.run([str(VENVS / "baseline" / "bin" / "python"), str(trainer), str(model)], check=True)
        servers = {}
        for name in SCENARIOS:
            print(f"{name}: cold starts, then load", flush=True)
            servers[name] = measure_server(name, model, workloads, args, cores)
    results = {
        "command": COMMAND,
        "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "pinned": cores != (None, None),
                    "kernel": platform.release()},
        "settings": {"seconds": args.seconds, "warmup": args.warmup, "cold_starts": args.cold_starts},
        "servers": servers,
        "sizes_mb": sizes.all_sizes(),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(report.markdown(results))
    report.chart(results, args.out / "results.png")
    print(report.markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
