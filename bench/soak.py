"""Soak: the gateway under 32 connections for a long while, watching errors and memory.

    make soak                (5 minutes; SOAK_SECONDS=... to change)

RSS is sampled after a warm-up and then every 30 s; the verdict needs zero non-2xx
responses, zero socket errors, and RSS growth under 5% from the first sample.
"""
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

from bench.load import run_wrk
from bench.servers import REPO, Running, free_port, specs
from bench.workloads import write

MAX_GROWTH = 0.05


def main() -> int:
    seconds = float(os.environ.get("SOAK_SECONDS", "300"))
    cores = ("0", "1") if (os.cpu_count() or 1) >= 2 else (None, None)
    with tempfile.TemporaryDirectory() as work:
        workload = write(Path(work))["predict-1"]
        port = free_port()
        gateway = Running(next(s for s in specs(port, Path(work)) if s.name == "gateway"), port, cores[0])
        gateway.wait_ready()
        try:
            run_wrk(gateway.url, workload, 32, 10, cores[1])  # warm-up: caches, allocator, histograms
            samples = [(0.0, gateway.rss_mb())]
            started = time.monotonic()
            stop = threading.Event()

            def sample() -> None:
                while not stop.wait(30):
                    samples.append((time.monotonic() - started, gateway.rss_mb()))

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            result = run_wrk(gateway.url, workload, 32, seconds, cores[1])
            stop.set()
            sampler.join()
            samples.append((time.monotonic() - started, gateway.rss_mb()))
        finally:
            gateway.stop()
    growth = samples[-1][1] / samples[0][1] - 1
    passed = result.non_2xx == 0 and result.socket_errors == 0 and growth < MAX_GROWTH
    report = {
        "command": "make soak", "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "seconds": seconds,
        "connections": 32, "requests": result.requests, "requests_per_second": result.requests_per_second,
        "p99_ms": result.p99_ms, "non_2xx": result.non_2xx, "socket_errors": result.socket_errors,
        "rss_mb": [[round(t, 1), round(m, 2)] for t, m in samples], "rss_growth": growth, "passed": passed,
    }
    (REPO / "bench" / "soak.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [
        "# Soak result", "",
        f"`make soak` on {report['when']}: {seconds:g} s at 32 connections, single-row `/predict`, one worker.", "",
        f"- requests: {result.requests:,} ({result.requests_per_second:,.0f}/s), p99 {result.p99_ms:.2f} ms",
        f"- non-2xx: {result.non_2xx}; socket errors: {result.socket_errors}",
        f"- RSS: {samples[0][1]:.1f} MB after warm-up, {samples[-1][1]:.1f} MB at the end "
        f"({growth:+.2%}; limit +{MAX_GROWTH:.0%})",
        f"- samples (s, MB): {', '.join(f'{t:.0f}: {m:.1f}' for t, m in samples)}",
        f"- verdict: **{'PASS' if passed else 'FAIL'}**", "",
    ]
    (REPO / "bench" / "soak.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
