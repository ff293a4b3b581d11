"""Gateway replicas, run as ECS runs the task: the serve image (read-only root, /tmp as
tmpfs, its own user, the task's environment), or, where no container engine works,
`python -m gateway` from the serve venv. The report says which."""
import os
import signal
import subprocess
import sys
from pathlib import Path

from bench.servers import free_port

REPO = Path(__file__).resolve().parents[2]
ENGINE = str(REPO / ".ci" / "engine")


def engine_works() -> bool:
    done = subprocess.run([ENGINE, "info"], capture_output=True, timeout=120)
    return done.returncode == 0


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class ContainerReplica:
    kind = "container"

    def __init__(self, name: str, port: int, image: str, env: dict[str, str], card: Path | None = None) -> None:
        self.name, self.port, self.image, self.env, self.card = name, port, image, env, card
        self.container = f"rehearsal-{name}-{os.getpid()}"

    def _engine(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([ENGINE, *args], capture_output=True, text=True, check=check, timeout=180)

    def start(self) -> None:
        extra = ["--read-only-tmpfs=false"] if self._engine("name").stdout.strip() == "podman" else []
        mount = ["--volume", f"{self.card}:/app/models/iris.json:ro"] if self.card else []
        env = [f"--env={key}={value}" for key, value in self.env.items()]
        self._engine("rm", "--force", self.container, check=False)
        self._engine("run", "--detach", "--name", self.container, "--publish", f"127.0.0.1:{self.port}:8080",
                     "--read-only", *extra, "--tmpfs", "/tmp", "--security-opt", "no-new-privileges",
                     *env, *mount, self.image)

    def exited(self) -> bool:
        done = self._engine("inspect", "--format", "{{.State.Running}}", self.container, check=False)
        return done.stdout.strip() != "true"

    def terminate(self, stop_timeout: float) -> int:
        """SIGTERM, then SIGKILL after stop_timeout, as ECS stops a task; the exit code."""
        self._engine("stop", "--time", str(max(1, round(stop_timeout))), self.container)
        return int(self._engine("inspect", "--format", "{{.State.ExitCode}}", self.container).stdout.strip())

    def kill(self) -> None:
        """SIGKILL, returning once the container has stopped: the engine's kill returns
        when the signal is sent, which on a busy machine can be well before."""
        self._engine("kill", "--signal", "KILL", self.container)
        self._engine("wait", self.container)

    def rss_kib(self) -> int:
        pid = int(self._engine("inspect", "--format", "{{.State.Pid}}", self.container).stdout.strip() or 0)
        return _rss_kib(pid) if pid else 0

    def remove(self) -> None:
        self._engine("rm", "--force", self.container, check=False)


class ProcessReplica:
    kind = "process (serve venv)"

    def __init__(self, name: str, port: int, python: str, env: dict[str, str], card: Path | None = None,
                 log: Path | None = None) -> None:
        self.name, self.port, self.python, self.env, self.card, self.log = name, port, python, env, card, log
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        env.update(self.env, GATEWAY_PORT=str(self.port), GATEWAY_ADMIN_PORT=str(free_port()),
                   GATEWAY_HOST="127.0.0.1", ORT_DISABLE_TELEMETRY="1")
        if self.card:
            env["GATEWAY_CARD_PATH"] = str(self.card)
        output = open(self.log, "wb") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen([self.python, "-m", "gateway"], cwd=REPO, env=env, stdout=output,
                                        stderr=subprocess.STDOUT)

    def exited(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def terminate(self, stop_timeout: float) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()

    def rss_kib(self) -> int:
        return _rss_kib(self.process.pid) if self.process and not self.exited() else 0

    def remove(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def serve_python() -> str:
    venv = REPO / ".venvs" / "serve" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable
