"""The gateway's own cost per request, with no sockets and no server: requests are
passed to the ASGI app in-process, the way uvicorn passes them.

    .venvs/serve/bin/python -m bench.inprocess                   wall-clock per request
    make bench-instructions                                      instructions per request

Wall-clock figures swing with a shared machine's neighbours; instruction counts
under valgrind's callgrind do not, so a change on the hot path is measured with
them: the whole program runs twice under callgrind, with N and 3N requests, and
the difference of the two totals is the cost of 2N requests (start-up cancels out).
"""
import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench import ablation, card, workloads
from gateway.app import create_app
from gateway.settings import Settings
from gateway.signals import logs

REPO = Path(__file__).resolve().parent.parent
# What would make two runs differ: the hash seed, and OpenBLAS's idle worker threads
# (numpy starts one per core; under callgrind their polling is counted as work).
FIXED = {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}


def body_of(rows: int, card_path: Path) -> bytes:
    """One row: the card's first example; more: a batch of the card's example rows
    (with category columns) or seeded rows over its training range (numbers only)."""
    model_card = card.load(card_path)
    if rows == 1:
        return card.predict_body(model_card)
    if len(model_card["tensors"]["inputs"]) > 1:
        examples = [example["features"] for example in model_card["examples"]]
        return json.dumps({"instances": [examples[i % len(examples)] for i in range(rows)]}).encode()
    return json.dumps({"instances": workloads.batch(model_card, rows)}).encode()


def model_files(args: argparse.Namespace) -> tuple[Path, Path]:
    """The ONNX file and card served: the committed Iris pair, or the one in --model-dir."""
    if args.model_dir is None:
        return REPO / "models" / "iris.onnx", card.DEFAULT_CARD
    (card_path,) = args.model_dir.glob("*.json")  # a folder `make model` wrote: one card
    return card_path.with_suffix(".onnx"), card_path


def predict_scope(port: int, body: bytes) -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/predict", "raw_path": b"/predict", "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"),
                    (b"content-length", b"%d" % len(body))],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", port), "state": {},
    }


async def serve(app, requests: int, port: int, body: bytes) -> float:
    """Seconds for `requests` predictions; each answer is checked. Each request gets a
    scope of its own (the app writes into it), copied from one built here: what
    building it costs is uvicorn's, not the gateway's."""
    statuses = []
    template = predict_scope(port, body)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    started = time.perf_counter()
    for _ in range(requests):
        await app(template.copy(), receive, send)
    elapsed = time.perf_counter() - started
    if set(statuses) != {200}:
        raise SystemExit(f"the gateway answered {sorted(set(statuses))}, not only 200")
    return elapsed


async def timed(app, args: argparse.Namespace, port: int, body: bytes) -> None:
    """Warm `app` up, then print its best time per request."""
    await serve(app, 200, port, body)
    best = min([await serve(app, args.requests, port, body) for _ in range(args.repeats)])
    print(f"{best / args.requests * 1e6:.1f} us per request (best of {args.repeats} x {args.requests},"
          f" {describe(args)})")


async def main_async(args: argparse.Namespace, stack: ExitStack) -> None:
    model_path, card_path = model_files(args)
    body = body_of(args.rows, card_path)
    if args.minimal:
        # The same measurement of the minimal handler: what the stack costs a request
        # before any of the gateway's features.
        os.environ["BENCH_MODEL"] = str(model_path)
        from bench.baselines.minimal_asgi import app as minimal

        await timed(minimal, args, 8080, body)
        return
    signals = {}
    if args.signals:
        # Tracing at 1% to a receiver in this process, and EMF every second: both the
        # exporting and the receiving are counted, and under callgrind's slowdown the
        # timed work (export every 5 s, EMF every second) falls on fewer requests than
        # at full speed, so the figure is an upper bound of what the signals cost.
        from bench.otlp import otlp_receiver

        receiver = stack.enter_context(otlp_receiver())
        os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.endpoint
        signals = {"trace_ratio": 0.01, "emf_seconds": 1.0}
    ablation.apply(args.without)
    settings = Settings(model_path=model_path, card_path=card_path, access_log=args.access_log, **signals)
    logs.configure(settings)  # as the server does; run with stderr sent elsewhere
    app = create_app(settings, shortcut=False) if args.routed else create_app(settings)
    startup: asyncio.Queue = asyncio.Queue()
    await startup.put({"type": "lifespan.startup"})
    done: asyncio.Queue = asyncio.Queue()

    async def lifespan_receive() -> dict[str, Any]:
        return await startup.get()

    lifespan = asyncio.create_task(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}},
                                       lifespan_receive, done.put))
    message = await done.get()
    if message["type"] != "lifespan.startup.complete":
        raise SystemExit(f"start-up failed: {message}")
    await timed(app, args, settings.port, body)
    await startup.put({"type": "lifespan.shutdown"})
    await lifespan


def variant(args: argparse.Namespace) -> list[str]:
    """The options that choose what is measured, as a command line gives them."""
    return [*(["--minimal"] if args.minimal else []),
            *([] if args.access_log else ["--no-access-log"]), *(["--routed"] if args.routed else []),
            *(["--signals"] if args.signals else []),
            *[option for name in args.without for option in ("--without", name)],
            *([] if args.rows == 1 else ["--rows", str(args.rows)]),
            *([] if args.model_dir is None else ["--model-dir", str(args.model_dir)])]


def describe(args: argparse.Namespace) -> str:
    if args.minimal:
        return f"the minimal handler, {args.rows} row{'s' if args.rows > 1 else ''} per request"
    return (f"access log {'on' if args.access_log else 'off'}, {'routed' if args.routed else 'shortcut'},"
            f"{' tracing at 1% and EMF every second,' if args.signals else ''}"
            f"{''.join(f' without {name},' for name in args.without)}"
            f" {args.rows} row{'s' if args.rows > 1 else ''} per request")


# The libraries a request's instructions are spent in, by the file callgrind names.
LIBRARIES = (
    ("libpython", "the Python interpreter: the gateway's Python code and the standard library's"),
    ("onnxruntime", "onnxruntime: the model's run, through its Python binding"),
    ("_multiarray_umath", "numpy"),
    ("libc.so", "the C library: malloc, free, memcpy"),
    ("orjson", "orjson: JSON decoding and encoding"),
)


def callgrind_run(requests: int, options: list[str]) -> tuple[int, dict[str, int]]:
    """Instructions of one whole run of this program under callgrind: the total, and
    the part spent in each library of LIBRARIES (the rest under "other")."""
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "callgrind.out"
        command = [
            "valgrind", "--tool=callgrind", "--dump-instr=no", f"--callgrind-out-file={out}", sys.executable,
            "-m", "bench.inprocess", "--requests", str(requests), "--repeats", "1", *options,
        ]
        subprocess.run(command, cwd=REPO, check=True, capture_output=True, env={**os.environ, **FIXED})
        totals = re.search(r"^(?:summary|totals): (\d+)", out.read_text(), flags=re.M)
        assert totals is not None, f"no totals in {out}"
        annotated = subprocess.run(["callgrind_annotate", "--inclusive=no", "--threshold=100", str(out)],
                                   check=True, capture_output=True, text=True).stdout
    parts = dict.fromkeys([key for key, _ in LIBRARIES] + ["other"], 0)
    for cost, library in re.findall(r"^\s*([\d,]+) \([^)]*\)\s+.*\[(.*)\]$", annotated, flags=re.M):
        key = next((key for key, _ in LIBRARIES if key in library.rsplit("/", 1)[-1]), "other")
        parts[key] += int(cost.replace(",", ""))
    return int(totals.group(1)), parts


def instructions_per_request(requests: int, options: list[str]) -> tuple[float, dict[str, float]]:
    """Per request: all instructions, and each library's share of those callgrind_annotate
    attributes (the difference of a run of N and one of 3N requests, over 2N)."""
    (total_1, parts_1), (total_3, parts_3) = callgrind_run(requests, options), callgrind_run(3 * requests, options)
    spent = {key: parts_3[key] - parts_1[key] for key in parts_1}
    attributed = sum(spent.values())
    return (total_3 - total_1) / (2 * requests), {key: cost / attributed for key, cost in spent.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--instructions", action="store_true", help="instructions per request, under callgrind")
    parser.add_argument("--minimal", action="store_true",
                        help="the minimal handler (bench/baselines/minimal_asgi.py) instead of the gateway")
    parser.add_argument("--no-access-log", dest="access_log", action="store_false")
    parser.add_argument("--routed", action="store_true", help="/predict through Starlette's router, no shortcut")
    parser.add_argument("--signals", action="store_true",
                        help="tracing at 1%% and EMF every second (run it with the tracing extra's venv)")
    parser.add_argument("--without", action="append", default=[], choices=ablation.NAMES,
                        help="take a feature out (bench/ablation.py); repeat for more")
    parser.add_argument("--rows", type=int, default=1, help="rows per request (%(default)s; more: a seeded batch)")
    parser.add_argument("--model-dir", type=Path,
                        help="serve the model in this folder (make model SPEC=... MODEL_DIR=...), not Iris")
    args = parser.parse_args()
    if args.instructions:
        per_request, shares = instructions_per_request(args.requests // 10, variant(args))
        print(f"{per_request:,.0f} instructions per request (callgrind; {describe(args)})")
        names = dict(LIBRARIES, other="everything else")
        for key, share in sorted(shares.items(), key=lambda item: -item[1]):
            print(f"  {share:6.1%}  {names[key]}")
        command = f"python -m bench.inprocess --instructions --requests {args.requests} {' '.join(variant(args))}"
        print(f"reproduce: {command}" if args.rows != 1 else "reproduce: make bench-instructions")
        return 0
    import uvloop

    with ExitStack() as stack:
        uvloop.run(main_async(args, stack))
    return 0


if __name__ == "__main__":
    sys.exit(main())
