"""The gateway's own cost per request, with no sockets and no server: requests are
passed to the ASGI app in-process, the way uvicorn passes them.

    .venvs/serve/bin/python -m bench.inprocess                   wall-clock per request
    make bench-instructions                                      instructions per request

Wall-clock figures swing with a shared machine's neighbours; instruction counts
under valgrind's callgrind do not, so a change on the hot path is measured with
them. Only the measured requests are counted: the program calls getppid() just
before and just after them (nothing else in it does), and callgrind dumps its
counts each time (--dump-before=getppid), so start-up and shut-down fall in parts
of their own. (Taking the difference of a run of N requests and one of 3N instead
leaves start-up's own run-to-run swing in the figure: two such runs of the same
code differed by 7,400 instructions a request.)
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
from typing import Any, Final

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
    """Warm `app` up, then print its best time per request. The measured requests lie
    between two getppid() calls: callgrind_run's marks."""
    await serve(app, 200, port, body)
    os.getppid()
    best = min([await serve(app, args.requests, port, body) for _ in range(args.repeats)])
    os.getppid()
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
        # Tracing at 1% to a receiver in this process, and EMF every second. Counted:
        # the sampled requests' spans, and whatever the exporter's thread and the
        # receiver do while the requests run. Not counted: the work timed on the event
        # loop (the EMF document every second, the metrics flush), because requests
        # passed in-process never yield to the loop; at full speed that work is spread
        # over thousands of requests, and `make bench` measures it at the wire.
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


# The C library call that marks where the measured requests begin and end (timed):
# callgrind dumps its counts on entering it, so the second part is those requests.
MARK: Final = "getppid"


def callgrind_run(requests: int, options: list[str]) -> tuple[int, dict[str, int]]:
    """Instructions of `requests` requests of this program run under callgrind (the
    part between its two marks): the total, and the part spent in each library of
    LIBRARIES (the rest under "other")."""
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "callgrind.out"
        command = [
            "valgrind", "--tool=callgrind", "--dump-instr=no", "--compress-strings=no", f"--dump-before={MARK}",
            f"--callgrind-out-file={out}", sys.executable,
            "-m", "bench.inprocess", "--requests", str(requests), "--repeats", "1", *options,
        ]
        subprocess.run(command, cwd=REPO, check=True, capture_output=True, env={**os.environ, **FIXED})
        # Start-up (part 1), the requests (part 2), and what follows them (the file
        # itself): any other dump means something else called the mark.
        dumps = sorted(path.name for path in Path(work).iterdir())
        if dumps != ["callgrind.out", "callgrind.out.1", "callgrind.out.2"]:
            raise SystemExit(f"expected callgrind to dump at the two marks ({MARK}) only, got {dumps}")
        measured = out.with_name("callgrind.out.2").read_text()
    totals = re.search(r"^(?:summary|totals): (\d+)", measured, flags=re.M)
    assert totals is not None, "no totals in callgrind's second part"
    parts = dict.fromkeys([key for key, _ in LIBRARIES] + ["other"], 0)
    for library, cost in self_costs(measured).items():
        parts[next((key for key, _ in LIBRARIES if key in library.rsplit("/", 1)[-1]), "other")] += cost
    return int(totals.group(1)), parts


def self_costs(profile: str) -> dict[str, int]:
    """Instructions spent in each object file (library) of a callgrind profile written
    with --compress-strings=no and one event: each cost line counts for the `ob=` it
    falls under, except the line after `calls=`, which is what a call cost (counted
    where it was spent). callgrind_annotate is not used: in a dump taken mid-run, it
    counts the calls still on the stack as their callers' own cost."""
    costs: dict[str, int] = {}
    library, after_call = "", False
    for line in profile.splitlines():
        if line.startswith("ob="):
            library = line[3:]
        elif line.startswith("calls="):
            after_call = True
        elif line and (line[0].isdigit() or line[0] in "+-*"):
            if not after_call:
                costs[library] = costs.get(library, 0) + int(line.split()[-1])
            after_call = False
    return costs


def instructions_per_request(requests: int, options: list[str]) -> tuple[float, dict[str, float]]:
    """Per request, over `requests` requests: all instructions, and each library's share."""
    total, parts = callgrind_run(requests, options)
    attributed = sum(parts.values())
    return total / requests, {key: cost / attributed for key, cost in parts.items()}


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
