"""Run the serve image as production runs it and prove it, before any push.

    python3 .ci/image_check.py iris-serve:local [--port 8080] [--report report.json]

The container runs with a read-only root, /tmp as tmpfs and no extra privileges.
Checked: the smoke test (/health, the served card's example rows on /predict and
v2 infer, expecting the card's answers), /docs and
its files, /metrics and /model on the admin port and not on the public one, a
non-root user, no scikit-learn, no pip, a read-only root filesystem, the image's own
HEALTHCHECK command, and SIGTERM draining to exit 0. If the container exits while
it is awaited, the check fails at once with its log. Standard library only, like
smoke.py: the pipeline runs it on a bare runner.
"""
import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ENGINE = str(HERE / "engine")
CONTAINER = "proven-onnx-image-check"
START_SECONDS = 60
# The page and what it loads (gateway/api/docs.py; this script runs without the gateway's packages).
DOCS_PATHS = ("/docs", "/docs/swagger-ui-bundle.js", "/docs/swagger-ui.css", "/docs/docs.js", "/docs/LICENSE")
OPERATOR_PATHS = ("/metrics", "/model")
# The ports the image's ENV gives the gateway (Dockerfile.serve).
IMAGE_PORT, IMAGE_ADMIN_PORT = 8080, 8082


def engine(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([ENGINE, *args], capture_output=True, text=True, check=check)


def inspect(fmt: str, target: str, kind: str = "container") -> str:
    return engine(kind, "inspect", "--format", fmt, target).stdout.strip()


def running() -> bool:
    return inspect("{{.State.Running}}", CONTAINER) == "true"


def logs() -> str:
    done = engine("logs", CONTAINER, check=False)
    return done.stdout + done.stderr


def wait_healthy(base: str) -> float:
    """Seconds until /health answered 200; fails at once if the container exits."""
    started = time.monotonic()
    while True:
        if not running():
            raise SystemExit(f"FAIL the container exited ({inspect('{{.State.ExitCode}}', CONTAINER)}):\n{logs()}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                if response.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() - started > START_SECONDS:
            raise SystemExit(f"FAIL /health did not answer 200 within {START_SECONDS} s:\n{logs()}")
        time.sleep(0.2)


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def exec_rc(*command: str) -> tuple[int, str]:
    done = engine("exec", CONTAINER, *command, check=False)
    return done.returncode, (done.stdout + done.stderr).strip()


def size_mb(image: str) -> float:
    return int(inspect("{{.Size}}", image, "image")) / 1e6


def served_card(work: Path) -> Path:
    """The model card the image serves (whatever spec it was built from), copied out of it:
    the smoke test expects that card's answers."""
    code, text = exec_rc(
        "python", "-c", "import os, sys; sys.stdout.write(open(os.environ['GATEWAY_CARD_PATH']).read())")
    if code != 0:
        raise SystemExit(f"FAIL cannot read the image's model card: {text}")
    path = work / "card.json"
    path.write_text(text)
    return path


def checks(image: str, base: str, admin: str, base_image: str, release: str | None, work: Path) -> dict[str, Any]:
    report: dict[str, Any] = {"image": image, "engine": engine("name").stdout.strip()}
    report["seconds_to_healthy"] = round(wait_healthy(base), 2)
    card = served_card(work)
    report["model"] = json.loads(card.read_text())["name"]
    smoke = subprocess.run(
        [sys.executable, str(HERE / "smoke.py"), base, "--card", str(card),
         *(["--release", release] if release else [])],
        capture_output=True, text=True,
    )
    report["smoke"] = (smoke.stdout + smoke.stderr).strip()
    report["smoke_passed"] = smoke.returncode == 0
    # /docs and every file it loads: the deps stage's trim must have kept them.
    report["docs_served"] = all(status_of(base + path) == 200 for path in DOCS_PATHS)
    report["operator_routes_public"] = [path for path in OPERATOR_PATHS if status_of(base + path) != 404]
    report["operator_routes_on_admin_port"] = all(status_of(admin + path) == 200 for path in OPERATOR_PATHS)
    report["uid"] = int(exec_rc("id", "-u")[1])
    report["sklearn_importable"] = exec_rc("python", "-c", "import sklearn")[0] == 0
    report["pip_present"] = exec_rc("python", "-m", "pip", "--version")[0] == 0
    report["root_writable"] = exec_rc("python", "-c", "open('/app/probe', 'w')")[0] == 0
    report["tmp_writable"] = exec_rc("python", "-c", "open('/tmp/probe', 'w')")[0] == 0
    healthcheck = json.loads(inspect("{{json .Config.Healthcheck}}", image, "image") or "null")
    report["healthcheck"] = healthcheck and healthcheck.get("Test")
    if report["healthcheck"] and report["healthcheck"][0] == "CMD":
        report["healthcheck_passed"] = exec_rc(*report["healthcheck"][1:])[0] == 0
    else:
        report["healthcheck_passed"] = False
    started = time.monotonic()
    engine("stop", "--time", "30", CONTAINER)
    report["stop_seconds"] = round(time.monotonic() - started, 2)
    report["exit_code_after_sigterm"] = int(inspect("{{.State.ExitCode}}", CONTAINER))
    report["drain_logged"] = "drain" in logs().lower()
    report["image_mb"] = round(size_mb(image), 1)
    report["base_mb"] = round(size_mb(base_image), 1)
    report["own_layers_mb"] = round(report["image_mb"] - report["base_mb"], 1)
    return report


# Each requirement on the report: the field, what it must satisfy, and what its
# failure means.
REQUIREMENTS = (
    ("smoke_passed", bool, "the smoke test failed"),
    ("docs_served", bool, "/docs or a file it loads is not served"),
    ("operator_routes_public", lambda routes: not routes, "an operator route answers on the public port"),
    ("operator_routes_on_admin_port", bool, "/metrics or /model does not answer on the admin port"),
    ("uid", lambda uid: uid != 0, "the service runs as root"),
    ("sklearn_importable", lambda found: not found, "scikit-learn is in the image"),
    ("pip_present", lambda found: not found, "pip is in the image"),
    ("root_writable", lambda writable: not writable, "the root filesystem is writable"),
    ("tmp_writable", bool, "/tmp is not writable"),
    ("healthcheck_passed", bool, "the image's HEALTHCHECK is missing or failing"),
    ("exit_code_after_sigterm", lambda code: code == 0, "SIGTERM did not end with exit 0"),
    ("drain_logged", bool, "the gateway did not log its drain after SIGTERM"),
)


def failures(report: dict) -> list[str]:
    """What the report breaks, in REQUIREMENTS' order (empty: the image passes)."""
    return [message for field, met, message in REQUIREMENTS if not met(report[field])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("image")
    parser.add_argument("--port", type=int, default=8080, help="host port for the public routes")
    parser.add_argument("--admin-port", type=int, default=8082, help="host port for the admin routes")
    parser.add_argument("--base-image", required=True, help="the image it was built on (.ci/base-image --ref)")
    parser.add_argument("--release", help="the release the image must report (X-Release)")
    parser.add_argument("--report", type=Path, help="also write the figures as JSON")
    args = parser.parse_args()
    engine("rm", "--force", CONTAINER, check=False)
    # As ECS runs the task: read-only root, a tmpfs for the one writable place.
    engine(
        "run", "--detach", "--name", CONTAINER, "--publish", f"127.0.0.1:{args.port}:{IMAGE_PORT}",
        "--publish", f"127.0.0.1:{args.admin_port}:{IMAGE_ADMIN_PORT}",
        "--read-only", *(["--read-only-tmpfs=false"] if engine("name").stdout.strip() == "podman" else []),
        "--tmpfs", "/tmp", "--security-opt", "no-new-privileges", args.image,
    )
    try:
        with tempfile.TemporaryDirectory() as work:
            report = checks(args.image, f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.admin_port}",
                            args.base_image, args.release, Path(work))
    finally:
        engine("rm", "--force", CONTAINER, check=False)
    if args.report:
        args.report.write_text(json.dumps(report, indent=2) + "\n")
    broken = failures(report)
    print(report["smoke"])
    print(
        f"image-check ({report['engine']}): healthy in {report['seconds_to_healthy']} s, uid {report['uid']},"
        f" no scikit-learn, no pip, read-only root, HEALTHCHECK passed, SIGTERM -> exit"
        f" {report['exit_code_after_sigterm']} after {report['stop_seconds']} s;"
        f" image {report['image_mb']} MB = base {report['base_mb']} MB + own layers {report['own_layers_mb']} MB"
        if not broken else "image-check FAILED:\n  " + "\n  ".join(broken)
    )
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())
