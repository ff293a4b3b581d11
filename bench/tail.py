"""The tail at one connection, measured long enough to tell servers apart.

    make bench-tail          writes bench/tail.json and bench/tail.md (about 8 minutes)

`make bench`'s 5-second runs give a p99 from a few hundred of the slowest requests,
and on a shared virtual machine one scheduling hiccup moves it by a tenth of a
millisecond: there the minimal handler's p99 came out above the gateway's. This
runs the gateway with and without its access log, and the minimal handler, for
longer (30 s by default) at one connection, in interleaved rounds (each server in
turn, then again), and judges the access log's cost on the median of the rounds.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bench.load import run_wrk
from bench.report import machine_line, tail_p99s
from bench.run import Inputs, machine, start
from bench.workloads import write

REPO = Path(__file__).resolve().parent.parent
COMMAND = "make bench-tail"
SERVERS = ("gateway-no-log", "gateway", "minimal")
SCENARIO = "predict-1"


def measure(seconds: float, rounds: int, cores: tuple[str | None, str | None]) -> dict[str, dict[str, list[float]]]:
    """Each server's p50, p99 and requests/s at one connection, one entry per round."""
    server_core, load_core = cores
    figures: dict[str, dict[str, list[float]]] = {
        name: {"p50_ms": [], "p99_ms": [], "requests_per_second": []} for name in SERVERS}
    with tempfile.TemporaryDirectory() as work:
        workload = write(Path(work) / "bodies")[SCENARIO]
        inputs = Inputs(model=Path(work) / "none")  # the original's model: none of these servers loads it
        for number in range(1, rounds + 1):
            for name in SERVERS:
                server = start(name, inputs, server_core)
                try:
                    server.wait_ready()
                    run_wrk(server.url, workload, 32, 2, load_core)  # warm-up, not recorded
                    run_wrk(server.url, workload, 1, 2, load_core)
                    loaded = run_wrk(server.url, workload, 1, seconds, load_core)
                finally:
                    server.stop()
                for key in figures[name]:
                    figures[name][key].append(getattr(loaded, key))
                print(f"round {number}, {name:15} p50 {loaded.p50_ms:.3f} ms, p99 {loaded.p99_ms:.3f} ms,"
                      f" {loaded.requests_per_second:,.0f} requests/s", flush=True)
    return figures


def markdown(tail: dict) -> str:
    lines = [
        "# The tail at one connection", "",
        f"Run: `{tail['command']}` on {tail['when']}; {machine_line(tail['machine'])}. Single-row `POST /predict`"
        f" at one connection, {tail['rounds']} interleaved rounds of {tail['seconds']:g} s each (after a warm-up),"
        " server and wrk pinned to separate cores.", "",
        "| server | p99 ms, each round | p99 median | p50 median | requests/s median |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for name, figures in tail["servers"].items():
        rounds = ", ".join(f"{p99:.3f}" for p99 in figures["p99_ms"])
        lines.append(f"| {name} | {rounds} | {statistics.median(figures['p99_ms']):.3f} |"
                     f" {statistics.median(figures['p50_ms']):.3f} |"
                     f" {statistics.median(figures['requests_per_second']):,.0f} |")
    on, off = tail_p99s(tail)
    lines += ["", f"The access log's cost to the tail: p99 {on / off:.2f}x with it on against off (median of the"
              " rounds). bench/results.md judges the goal on this figure.", "",
              f"Reproduce: `{tail['command']}`", ""]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=30.0, help="each measured wrk run (%(default)s)")
    parser.add_argument("--rounds", type=int, default=4, help="times every server is measured (%(default)s)")
    parser.add_argument("--out", type=Path, default=REPO / "bench")
    args = parser.parse_args()
    cores = ("0", "1") if (os.cpu_count() or 1) >= 2 else (None, None)
    if cores[1] is not None:
        os.sched_setaffinity(0, {int(cores[1])})  # the server's core is the server's alone
    tail = {
        "command": COMMAND, "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": machine(cores != (None, None)), "seconds": args.seconds, "rounds": args.rounds,
        "servers": measure(args.seconds, args.rounds, cores),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "tail.json").write_text(json.dumps(tail, indent=2) + "\n")
    text = markdown(tail)
    (args.out / "tail.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
