"""Smoke test of a running gateway, standard library only (runs anywhere Python does).

    python3 .ci/smoke.py http://127.0.0.1:8080 [--wait 60] [--release SHA]

Checks /health, the original contract (the seed README's example must answer
prediction 0) and an Open Inference Protocol infer. With --release, every answer
(the X-Release header of RELEASE_PROBES predictions, spread over the balancer's
targets) must come from that release: after a deploy that ECS rolled back, the old
release answers and the smoke test fails. Exit 0 when all pass. Only public routes
are used: this runs through the load balancer.
"""
import argparse
import json
import sys
import time
import urllib.error
import urllib.request

SEED_EXAMPLE = {"features": [5.1, 3.5, 1.4, 0.2]}
RELEASE_PROBES = 20
V2_EXAMPLE = {"inputs": [{"name": "input", "shape": [1, 4], "datatype": "FP32", "data": [5.1, 3.5, 1.4, 0.2]}]}


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


def release_failures(base: str, expected: str) -> list[str]:
    """Every release seen, other than the expected one, with how many answers gave it."""
    seen: dict[str, int] = {}
    for _ in range(RELEASE_PROBES):
        release = call_with_release(f"{base}/predict", SEED_EXAMPLE)[2] or "(no X-Release header)"
        seen[release] = seen.get(release, 0) + 1
    return [f"{count} of {RELEASE_PROBES} predictions came from release {release}, expected {expected}"
            for release, count in sorted(seen.items()) if release != expected]


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
    parser.add_argument("--wait", type=float, default=0, help="seconds to wait for /health first")
    parser.add_argument("--release", help="every answer must come from this release (X-Release)")
    args = parser.parse_args()
    base = args.url.rstrip("/")
    if args.wait:
        wait_healthy(base, args.wait)
    failures = []
    status, body = call(f"{base}/health")
    if status != 200:
        failures.append(f"/health answered {status} {body}")
    status, body = call(f"{base}/predict", SEED_EXAMPLE)
    if status != 200 or body.get("prediction") != 0:
        failures.append(f"/predict (seed example) answered {status} {body}, expected prediction 0")
    status, body = call(f"{base}/v2/models/iris/infer", V2_EXAMPLE)
    labels = [o.get("data") for o in body.get("outputs", []) if o.get("name") == "label"]
    if status != 200 or labels != [[0]]:
        failures.append(f"/v2/models/iris/infer answered {status} {body}, expected label [0]")
    if args.release:
        failures += release_failures(base, args.release)
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    if not failures:
        release = f", every answer from release {args.release}" if args.release else ""
        print(f"OK {base}: /health, /predict (prediction 0), v2 infer (label 0){release}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
