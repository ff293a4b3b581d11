"""Start, probe and stop the servers under test; measure cold start and memory."""
import os
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.workloads import MIXED_NAME

REPO = Path(__file__).resolve().parent.parent
VENVS = REPO / ".venvs"


@dataclass(frozen=True)
class ServerSpec:
    name: str
    label: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    health: str = "/health"
    cwd: Path = REPO


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def uvicorn_command(python: Path, app: str, port: int) -> list[str]:
    """A one-worker uvicorn as the gateway runs it: uvloop, httptools, no access log."""
    return [str(python), "-m", "uvicorn", app, "--port", str(port), "--loop", "uvloop", "--http", "httptools",
            "--no-access-log", "--log-level", "warning", "--no-proxy-headers"]


# The production signals on, as the issue that added them measures them: tracing at 1%
# (to a local OTLP receiver) and EMF documents every second (the service root's 10 s,
# ten times as often).
SIGNALS = {"GATEWAY_TRACE_RATIO": "0.01", "GATEWAY_EMF_SECONDS": "1"}


def specs(port: int, baseline_model: Path, mixed_dir: Path | None = None, otlp: str | None = None) -> list[ServerSpec]:
    """Every server bench/ can measure; `mixed_dir` holds the mixed example's model and
    card; `otlp` is the endpoint a traced gateway exports its spans to."""
    serve, baseline = VENVS / "serve" / "bin" / "python", VENVS / "baseline" / "bin" / "python"
    serve_tracing = VENVS / "serve-tracing" / "bin" / "python"
    flask_env = {"BASELINE_MODEL": str(baseline_model), "BASELINE_PORT": str(port)}
    gateway_env = {"GATEWAY_PORT": str(port), "GATEWAY_ADMIN_PORT": str(free_port()),
                   "GATEWAY_MAX_BODY_BYTES": str(4 << 20), "ORT_DISABLE_TELEMETRY": "1"}
    onnx_env = {"BENCH_MODEL": str(REPO / "models" / "iris.onnx"), "ORT_DISABLE_TELEMETRY": "1"}
    return [
        ServerSpec("gateway", "gateway (onnxruntime + Starlette/uvicorn, 1 worker)", [str(serve), "-m", "gateway"],
                   gateway_env),
        ServerSpec("gateway-no-log", "the gateway with its access log off (GATEWAY_ACCESS_LOG=false)",
                   [str(serve), "-m", "gateway"], {**gateway_env, "GATEWAY_ACCESS_LOG": "false"}),
        *([ServerSpec("gateway-signals", "the gateway with tracing at 1% and EMF every second (the tracing extra)",
                      [str(serve_tracing), "-m", "gateway"],
                      {**gateway_env, **SIGNALS, "OTEL_EXPORTER_OTLP_ENDPOINT": otlp})] if otlp else []),
        ServerSpec("gateway-routed", "the gateway with /predict routed by Starlette (no front-door shortcut)",
                   [str(serve), "-m", "bench.baselines.gateway_routed"], gateway_env),
        ServerSpec("starlette", "a plain Starlette + onnxruntime handler (30 lines)",
                   uvicorn_command(serve, "bench.baselines.starlette_app:app", port), onnx_env),
        ServerSpec("fastapi", "FastAPI + pydantic + onnxruntime, what most users write",
                   uvicorn_command(VENVS / "fastapi" / "bin" / "python", "bench.baselines.fastapi_app:app", port),
                   onnx_env),
        ServerSpec("flask", "original: Flask dev server + joblib scikit-learn",
                   [str(baseline), str(REPO / "bench" / "baselines" / "flask_app.py")], flask_env),
        ServerSpec("gunicorn", "original under gunicorn (1 sync worker)",
                   [str(VENVS / "baseline" / "bin" / "gunicorn"), "--workers", "1", "--bind", f"127.0.0.1:{port}",
                    "--log-level", "warning", "bench.baselines.flask_app:app"], flask_env),
        ServerSpec("minimal", "the practical limit: read, orjson, one onnxruntime call, orjson, nothing else",
                   uvicorn_command(serve, "bench.baselines.minimal_asgi:app", port), onnx_env),
        ServerSpec("bare-asgi", "upper bound: bare ASGI constant reply on uvicorn",
                   uvicorn_command(serve, "bench.baselines.bare_asgi:app", port), {}, health="/"),
        *([ServerSpec("gateway-mixed", "the gateway serving the mixed example (numbers, categories and gaps)",
                      [str(serve), "-m", "gateway"],
                      {**gateway_env, "GATEWAY_MODEL_PATH": str(mixed_dir / f"{MIXED_NAME}.onnx"),
                       "GATEWAY_CARD_PATH": str(mixed_dir / f"{MIXED_NAME}.json")})] if mixed_dir else []),
    ]


class Running:
    def __init__(self, spec: ServerSpec, port: int, core: str | None) -> None:
        self.spec = spec
        self.url = f"http://127.0.0.1:{port}"
        pin = ["taskset", "-c", core] if core is not None else []
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            [*pin, *spec.command], cwd=spec.cwd, env={**os.environ, **spec.env},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def wait_ready(self, timeout: float = 30) -> float:
        """Seconds from process start to the first 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.spec.name} exited with {self.process.returncode}")
            try:
                with urllib.request.urlopen(self.url + self.spec.health, timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - self.started
            except OSError:
                pass
            time.sleep(0.005)
        raise TimeoutError(f"{self.spec.name} not ready within {timeout} s")

    def rss_mb(self) -> float:
        """Resident memory of the server and its children (gunicorn's worker)."""
        total = 0
        for pid in [self.process.pid, *descendants(self.process.pid)]:
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            except FileNotFoundError:
                pass
        return total / 1024

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(2)  # SIGINT: every server here stops at once on it
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def descendants(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):  # the thread ended after the listing
            children = []
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found
