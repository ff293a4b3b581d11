"""What tests share beyond fixtures: the repository's paths, free ports, and real
gateways and make targets run as child processes (started, waited on, stopped)."""
import os
import signal
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import orjson

from tests.waiting import wait_until

# The original service's example (its README: {"features": [5.1, 3.5, 1.4, 0.2]} gives
# {"prediction": 0}, setosa): the row, the request as a JSON document and as a body.
ORIGINAL_ROW = (5.1, 3.5, 1.4, 0.2)
ONE_ROW = {"features": list(ORIGINAL_ROW)}
ONE_ROW_BODY = orjson.dumps(ONE_ROW)

REPO_ROOT = Path(__file__).resolve().parent.parent
# Where make keeps the venvs: .venvs, unless the environment says otherwise (as the
# quick-start tests do, one set per Python).
VENVS = REPO_ROOT / os.environ.get("VENVS", ".venvs")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def health_is_200(url: str) -> bool:
    """The server at `url` answers /health with 200 (not yet listening is False)."""
    try:
        return httpx.get(url + "/health", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


class MakeProcess:
    """`make -s <args>` as a developer runs it, in its own process group (make, its shell
    and the server they start), its output in a file."""

    def __init__(self, args: list[str], log_path: Path, env: dict[str, str] | None = None) -> None:
        self.name = f"make {' '.join(args)}"
        self.log_path = log_path
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                ["make", "-s", *args], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def raise_if_exited(self) -> None:
        """For waits: a make that ended will never become ready; fail at once, with its log."""
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited with {self.process.returncode}:\n{self.output()}")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=60)


@contextmanager
def running_make(args: list[str], log_path: Path, env: dict[str, str] | None = None) -> Iterator[MakeProcess]:
    """`make -s <args>`, stopped with everything it started on exit from `with`."""
    make = MakeProcess(args, log_path, env)
    try:
        yield make
    finally:
        make.stop()


class GatewayProcess:
    """`python -m gateway` on a free loopback port, started and stopped by the test."""

    def __init__(self, repo_root: Path, log_path: Path, python: str = sys.executable, **settings: str) -> None:
        self.port, self.admin_port = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.admin_url = f"http://127.0.0.1:{self.admin_port}"
        env = {key: value for key, value in os.environ.items() if not key.startswith("GATEWAY_")}
        env.update({
            "GATEWAY_PORT": str(self.port), "GATEWAY_ADMIN_PORT": str(self.admin_port), "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_DRAIN_SECONDS": "0.1", "ORT_DISABLE_TELEMETRY": "1",
        })
        env.update({f"GATEWAY_{key.upper()}": value for key, value in settings.items()})
        self.log_path = log_path
        # A file, not a pipe: nobody reads a pipe while the test runs, and a full
        # pipe would block the server's logging.
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                [python, "-m", "gateway"], cwd=repo_root, env=env, stdout=log, stderr=subprocess.STDOUT
            )

    def ready(self) -> bool:
        """/health answers 200; a process that exited fails at once, with its log."""
        if self.process.poll() is not None:
            raise RuntimeError(f"gateway exited with {self.process.returncode}: {self.output()}")
        return health_is_200(self.url)

    def wait_ready(self, timeout: float = 30) -> None:
        wait_until(self.ready, timeout, "the gateway's /health to answer 200", poll=0.05)

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


@contextmanager
def running_gateway(
    repo_root: Path, log_path: Path, python: str = sys.executable, **settings: str
) -> Iterator[GatewayProcess]:
    """The one way a test starts a real gateway: ready on exit from `with`, stopped after it."""
    gateway = GatewayProcess(repo_root, log_path, python, **settings)
    try:
        gateway.wait_ready()
        yield gateway
    finally:
        gateway.stop()


# The shipped example specs (models/examples/<name>/<name>.toml), built once per run.
EXAMPLES = ("breast_cancer", "diabetes", "churn", "loans", "loans_hgb", "loans_xgb")


def module_file(dotted: str) -> Path | None:
    """The file of a module of this repository named with dots (gateway.codecs.v2: its
    .py, or a package's __init__.py), or None."""
    relative = REPO_ROOT.joinpath(*dotted.split("."))
    for candidate in (relative.with_suffix(".py"), relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None
