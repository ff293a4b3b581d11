"""bench/results.md and bench/results.png from the raw results."""
from pathlib import Path

TARGETS = (
    "goals (issues): >= 10x the original at 32 connections; >= 1.5x the plain Starlette handler; >= 50% of the "
    "bare-ASGI bound; p99 at 1 connection with the access log on within 1.3x of it off; cold start < 0.5 s; "
    "RSS < 100 MB; >= 1 M rows/s for 1,000-row JSON batches; >= 5 M rows/s binary"
)


def _rps(results: dict, server: str, scenario: str = "predict-1", connections: str = "32") -> float:
    return results["servers"][server]["loads"][scenario][connections]["requests_per_second"]


def _p99(results: dict, server: str, connections: str = "1") -> float:
    return results["servers"][server]["loads"]["predict-1"][connections]["p99_ms"]


def headline(results: dict) -> list[str]:
    """The figures the goals are about, each where the run measured what it needs."""
    measured = results["servers"]
    gateway = _rps(results, "gateway")
    lines = []
    if "flask" in measured:
        flask = _rps(results, "flask")
        lines.append(f"gateway vs original Flask server, one row, 32 connections: **{gateway / flask:.1f}x** "
                     f"({gateway:,.0f} vs {flask:,.0f} requests/s)")
    if "gunicorn" in measured:
        gunicorn = _rps(results, "gunicorn")
        lines.append(f"gateway vs the original under gunicorn: **{gateway / gunicorn:.1f}x** "
                     f"({gunicorn:,.0f} requests/s)")
    if "starlette" in measured:
        starlette = _rps(results, "starlette")
        lines.append(f"gateway vs a plain Starlette + onnxruntime handler: **{gateway / starlette:.2f}x** "
                     f"({starlette:,.0f} requests/s)")
    if "fastapi" in measured:
        fastapi = _rps(results, "fastapi")
        lines.append(f"gateway vs FastAPI + pydantic + onnxruntime: **{gateway / fastapi:.1f}x** "
                     f"({fastapi:,.0f} requests/s)")
    if "gateway-routed" in measured:
        routed = _rps(results, "gateway-routed")
        lines.append(f"the front door's shortcut past Starlette's router: **{gateway / routed:.2f}x** the routed "
                     f"gateway ({routed:,.0f} requests/s)")
    if "bare-asgi" in measured:
        bare = _rps(results, "bare-asgi")
        lines.append(f"gateway reaches **{gateway / bare:.0%}** of the bare-ASGI upper bound ({bare:,.0f} requests/s)")
    if "gateway-no-log" in measured:
        logged, quiet = _p99(results, "gateway"), _p99(results, "gateway-no-log")
        lines.append(f"p99 at 1 connection: {logged:.3f} ms with the access log, {quiet:.3f} ms without "
                     f"(**{logged / quiet:.2f}x**)")
    if "gateway-mixed" in measured:
        mixed = measured["gateway-mixed"]["loads"]
        lines.append(
            f"mixed example (numbers and categories): one row {mixed['mixed-1']['32']['requests_per_second']:,.0f}"
            f" requests/s by position, {mixed['mixed-1-named']['32']['requests_per_second']:,.0f} by name;"
            f" 1,000-row batches {mixed['mixed-1000']['32']['rows_per_second'] / 1e6:.2f} M rows/s on /predict,"
            f" {mixed['mixed-v2-1000']['32']['rows_per_second'] / 1e6:.2f} M rows/s on v2 (BYTES columns)")
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


def markdown(results: dict) -> str:
    lines = [
        "# Benchmark results",
        "",
        f"Run: `{results['command']}` on {results['when']}; {results['machine']['cpus']} CPUs, Python "
        f"{results['machine']['python']}, server and wrk pinned to separate cores: {results['machine']['pinned']}. "
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
        f"_{TARGETS}_",
        "",
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
               "gateway-mixed": "#17becf"}
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
    import json
    import sys

    source = Path(sys.argv[1])
    data = json.loads(source.read_text())
    (source.parent / "results.md").write_text(markdown(data))
    chart(data, source.parent / "results.png")
