"""Smoke test of a running gateway, standard library only (runs anywhere Python does).

    python3 .ci/smoke.py http://127.0.0.1:8080 [--card models/iris.json] [--wait 60] [--release SHA]

Checks /health, then sends the model card's example rows (one typical row per
class, or a spread of a regressor's values, written by the export stage) to
/predict one by one and to the Open Inference Protocol infer route as one batch,
and expects the card's answers. With --release, every answer (the X-Release header
of RELEASE_PROBES predictions, spread over the balancer's targets) must come from
that release: after a deploy that ECS rolled back, the old release answers and the
smoke test fails. Exit 0 when all pass. Only public routes are used: this runs
through the load balancer.
"""
import argparse
import json
import re
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

RELEASE_PROBES = 20
DEFAULT_CARD = Path(__file__).resolve().parent.parent / "models" / "iris.json"
# The card schema this script reads: export/card.py writes the version
# gateway/model/contract.py defines, read from there (this script runs from a checkout
# with the standard library alone, so the file is read, not imported).
CONTRACT = Path(__file__).resolve().parent.parent / "gateway" / "model" / "contract.py"
CARD_SCHEMA_VERSION = int(re.search(r"^CARD_SCHEMA_VERSION: Final = (\d+)$", CONTRACT.read_text(), re.M)[1])


class Card:
    """What the smoke test needs from a model card: its name, example rows and answers."""

    def __init__(self, path: Path) -> None:
        document = json.loads(path.read_text())
        if document.get("schema_version") != CARD_SCHEMA_VERSION:
            raise SystemExit(f"FAIL {path} has card schema {document.get('schema_version')!r};"
                             f" this script reads {CARD_SCHEMA_VERSION}")
        self.name: str = document["name"]
        self.regression = document.get("task") == "regression"
        self.examples: list[dict[str, Any]] = document["examples"]
        self.inputs: list[dict[str, Any]] = document["tensors"]["inputs"]
        self.output: str = document["tensors"]["outputs"][0]["name"]
        region = document.get("parity_region", {})
        # A regressor's answers agree within the parity gate's own tolerance.
        self.tolerance = region.get("value_rtol", 0.0) * region.get("value_scale", 1.0)

    def agrees(self, answer: Any, expected: Any) -> bool:
        if self.regression:
            return isinstance(answer, (int, float)) and abs(answer - expected) <= self.tolerance
        return answer == expected

    def v2_request(self) -> dict[str, Any]:
        rows = [example["features"] for example in self.examples]
        if len(self.inputs) == 1:
            tensor = self.inputs[0]
            flat = [value for row in rows for value in row]
            return {"inputs": [{"name": tensor["name"], "shape": [len(rows), len(rows[0])],
                                "datatype": tensor["datatype"], "data": flat}]}
        return {"inputs": [{"name": tensor["name"], "shape": [len(rows), 1], "datatype": tensor["datatype"],
                            "data": [row[i] for row in rows]} for i, tensor in enumerate(self.inputs)]}


def call_with_release(url: str, body: dict | None = None, timeout: float = 10) -> tuple[int, dict, str | None]:
    """Status, JSON body and the X-Release header of one request."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}"), response.headers.get("X-Release")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}"), error.headers.get("X-Release")


def call(url: str, body: dict | None = None, timeout: float = 10) -> tuple[int, dict]:
    status, payload, _ = call_with_release(url, body, timeout)
    return status, payload


def release_failures(base: str, expected: str, body: dict) -> list[str]:
    """Every release seen, other than the expected one, with how many answers gave it."""
    seen: dict[str, int] = {}
    for _ in range(RELEASE_PROBES):
        release = call_with_release(f"{base}/predict", body)[2] or "(no X-Release header)"
        seen[release] = seen.get(release, 0) + 1
    return [f"{count} of {RELEASE_PROBES} predictions came from release {release}, expected {expected}"
            for release, count in sorted(seen.items()) if release != expected]


def prediction_failures(base: str, card: Card) -> list[str]:
    """Each card example on /predict, then all of them as one v2 infer batch."""
    failures = []
    for number, example in enumerate(card.examples, 1):
        status, body = call(f"{base}/predict", {"features": example["features"]})
        if status != 200 or not card.agrees(body.get("prediction"), example["prediction"]):
            failures.append(f"/predict (card example {number} of {len(card.examples)}) answered {status} {body},"
                            f" expected prediction {example['prediction']}")
    status, body = call(f"{base}/v2/models/{card.name}/infer", card.v2_request())
    outputs = {o.get("name"): o.get("data") for o in body.get("outputs", []) if isinstance(o, dict)}
    answers = outputs.get(card.output) or []
    expected = [example["prediction"] for example in card.examples]
    if status != 200 or len(answers) != len(expected) or not all(map(card.agrees, answers, expected)):
        failures.append(f"/v2/models/{card.name}/infer answered {status} {body}, expected {card.output} {expected}")
    return failures


def wait_healthy(base: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if call(f"{base}/health", timeout=3)[0] == 200:
                return
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"FAIL {base}/health did not answer 200 within {seconds:.0f} s")
        time.sleep(1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("url", help="base URL of the gateway")
    parser.add_argument("--card", type=Path, default=DEFAULT_CARD, help="the served model's card (%(default)s)")
    parser.add_argument("--wait", type=float, default=0, help="seconds to wait for /health first")
    parser.add_argument("--release", help="every answer must come from this release (X-Release)")
    args = parser.parse_args()
    card = Card(args.card)
    base = args.url.rstrip("/")
    if args.wait:
        wait_healthy(base, args.wait)
    failures = []
    status, body = call(f"{base}/health")
    if status != 200:
        failures.append(f"/health answered {status} {body}")
    failures += prediction_failures(base, card)
    if args.release:
        failures += release_failures(base, args.release, {"features": card.examples[0]["features"]})
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    if not failures:
        release = f", every answer from release {args.release}" if args.release else ""
        count = len(card.examples)
        print(f"OK {base}: /health, /predict ({count} examples of {card.name}'s card answered as it says),"
              f" v2 infer (the {count} as one batch){release}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
