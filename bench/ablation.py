"""Where a single-row request's instructions go: each feature of the gateway taken
out in turn, and the request counted again under callgrind.

    make bench-ablation          writes bench/ablation.txt (about 5 minutes)

CPython 3.11 under callgrind shows the interpreter as one function, so a Python-level
profile cannot say which feature costs what; removing one and counting the
difference can. Each ablation below replaces what one feature does on a single-row
`POST /predict` with the cheapest stand-in that still answers 200 (a method that
returns at once, a constant), in the measured process only: this module is a
measurement, and nothing in the gateway imports it. What a feature costs is the
full gateway's count less the count without it; "all" takes every one out at once,
and what it leaves above the minimal handler (bench/baselines/minimal_asgi.py) is
the structure that carries the features: the front door, the endpoint, the
service and the per-model tables.
"""
import argparse
import sys
from pathlib import Path
from typing import Any, Callable, Final, NamedTuple

import numpy as np
import orjson

REPO = Path(__file__).resolve().parent.parent
REPORT = REPO / "bench" / "ablation.txt"


class Ablation(NamedTuple):
    name: str
    removes: str
    apply: Callable[[], None]


def _replace(owner: Any, attribute: str, stand_in: Any) -> None:
    """Set `owner.attribute`, which must exist: a renamed method fails the run
    instead of measuring a gateway with nothing taken out."""
    if not hasattr(owner, attribute):
        raise AttributeError(f"{owner!r} has no {attribute}: the ablation is stale")
    setattr(owner, attribute, stand_in)


def _no_access_log() -> None:
    from gateway.signals.access import AccessLog

    _replace(AccessLog, "record", lambda self, *args: None)


def _no_request_id() -> None:
    from gateway.http.front import Front

    _replace(Front, "_identify", lambda self, given, trace: (b"-", None))


def _no_request_metrics() -> None:
    from gateway.signals.metrics import Metrics

    _replace(Metrics, "observe_request", lambda self, route, method, status, seconds: None)


def _no_body_deadline() -> None:
    from gateway.http.limits import BodyDeadlines

    _replace(BodyDeadlines, "current_task", lambda self: None)
    _replace(BodyDeadlines, "start", lambda self, task, now: None)
    _replace(BodyDeadlines, "stop", lambda self, task: None)


def _no_drift_counters() -> None:
    from gateway.model.inference import Model

    _replace(Model, "outside", lambda self, rows: (0, 0))


def _no_prediction_counters() -> None:
    from gateway.signals.metrics import Metrics

    _replace(Metrics, "observe_predictions", lambda self, labels, outside: None)


def _no_validation() -> None:
    """The minimal handler's decoding: no check of the document, the row or its numbers."""
    from gateway.api import predict
    from gateway.codecs.predict import PredictRequest

    def decode(body: bytes, n_features: int, max_rows: int, layout: Any) -> PredictRequest:
        return PredictRequest(np.array([orjson.loads(body)["features"]], dtype=np.float32), True)

    _replace(predict, "decode_predict", decode)


def _no_answer_detail() -> None:
    """The minimal handler's answer, the original service's: the label alone, without
    the class name and probabilities."""
    from gateway.api import predict

    _replace(predict, "encode_predict",
             lambda labels, probabilities, classes, single: orjson.dumps({"prediction": int(labels[0])}))


ABLATIONS: Final = (
    Ablation("access-log", "the access line: formatted, kept, written in batches", _no_access_log),
    Ablation("request-id", "the request id: the client's checked, or a new one", _no_request_id),
    Ablation("request-metrics", "the request's count and latency in the metrics", _no_request_metrics),
    Ablation("body-deadline", "the body deadline: the read registered with the watchdog", _no_body_deadline),
    Ablation("drift-counters", "rows outside the training range and the proven region", _no_drift_counters),
    Ablation("prediction-counters", "the answers counted per class", _no_prediction_counters),
    Ablation("validation", "the request's checks: its document, row and numbers", _no_validation),
    Ablation("answer-detail", "the class name and probabilities in the answer", _no_answer_detail),
)
ALL: Final = "all"
NAMES: Final = tuple(ablation.name for ablation in ABLATIONS) + (ALL,)


def apply(names: list[str]) -> None:
    """Take out the named features (ALL: every one) in this process."""
    for ablation in ABLATIONS:
        if ablation.name in names or ALL in names:
            ablation.apply()


def report(count: Callable[[list[str]], float]) -> str:
    """The ablation table: `count(options)` gives instructions per request for the
    bench.inprocess options given."""
    full, minimal = count([]), count(["--minimal"])
    lines = [f"{full:,.0f} instructions per single-row request, access log on (callgrind);"
             f" the minimal handler {minimal:,.0f}", "", "  saved  without"]
    for ablation in ABLATIONS:
        saved = full - count(["--without", ablation.name])
        lines.append(f"{saved:7,.0f}  {ablation.name}: {ablation.removes}")
    remaining = count(["--without", ALL])
    lines += [f"{full - remaining:7,.0f}  {ALL} of them at once", "",
              f"{remaining:,.0f} instructions without any of them: {remaining - minimal:,.0f} above the minimal"
              " handler, the front door, endpoint, service and per-model tables that carry the features",
              "reproduce: make bench-ablation"]
    return "\n".join(lines) + "\n"


def main() -> int:
    from bench.inprocess import instructions_per_request

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=2_000, help="requests counted per run (%(default)s)")
    parser.add_argument("--out", type=Path, default=REPORT)
    args = parser.parse_args()

    def count(options: list[str]) -> float:
        per_request, _ = instructions_per_request(args.requests, options)
        print(f"{per_request:,.0f}  {' '.join(options) or 'the gateway'}", file=sys.stderr, flush=True)
        return per_request

    text = report(count)
    args.out.write_text(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
