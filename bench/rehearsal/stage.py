"""The stage: HAProxy in front, replicas started, registered, deregistered and stopped
the way ECS and the target group do it."""
import json
import time
from pathlib import Path
from typing import Callable

from bench.rehearsal.haproxy import HAProxy
from bench.servers import free_port
from bench.rehearsal.replicas import ContainerReplica, ProcessReplica, serve_python
from bench.rehearsal.timings import Timings

Replica = ContainerReplica | ProcessReplica


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class Stage:
    def __init__(self, work: Path, timings: Timings, slots: list[str], image: str | None) -> None:
        self.work, self.timings, self.image = work, timings, image
        self.ports = {name: free_port() for name in slots}
        self.balancer = HAProxy(work, free_port(), self.ports, timings)
        self.replicas: dict[str, Replica] = {}
        self.launch_seconds: list[float] = []

    @property
    def backend(self) -> str:
        return ContainerReplica.kind if self.image else ProcessReplica.kind

    def task_env(self, release: str) -> dict[str, str]:
        """What the task definition gives the container (infra/service/ecs.tf), scaled."""
        return {
            "GATEWAY_DRAIN_SECONDS": f"{self.timings.drain_seconds:g}",
            "GATEWAY_SHUTDOWN_SECONDS": f"{self.timings.shutdown_seconds:g}",
            "GATEWAY_RELEASE": release,
            "GATEWAY_ACCESS_LOG": "false",
        }

    def mismatched_card(self) -> Path:
        """A card whose sha256 is not the model's: the gateway refuses to start."""
        card = json.loads((Path(__file__).resolve().parents[2] / "models" / "iris.json").read_text())
        card["onnx"]["sha256"] = "0" * 64
        path = self.work / "mismatched.json"
        path.write_text(json.dumps(card))
        path.chmod(0o644)
        return path

    def launch(self, name: str, release: str, card: Path | None = None) -> bool:
        """Start a replica and register it; True once the balancer sees it healthy,
        False if it exits or never passes (the circuit breaker's failed task)."""
        env, port = self.task_env(release), self.ports[name]
        if self.image:
            replica: Replica = ContainerReplica(name, port, self.image, env, card)
        else:
            replica = ProcessReplica(name, port, serve_python(), env, card, self.work / f"{name}.log")
        self.replicas[name] = replica
        started = time.monotonic()
        replica.start()
        self.balancer.set_state(name, "ready")
        t = self.timings
        budget = 60 + (t.healthy_threshold + 1) * t.health_check_interval
        healthy = wait_for(lambda: replica.exited() or self.balancer.status().get(name) == "UP", budget)
        if healthy and not replica.exited():
            self.launch_seconds.append(time.monotonic() - started)
            return True
        self.balancer.set_state(name, "maint")
        return False

    def retire(self, name: str) -> int:
        """Deregister (drain at the balancer), wait the deregistration delay, then
        SIGTERM with stop_timeout before SIGKILL: ECS's order. The exit code."""
        self.balancer.set_state(name, "drain")
        # The delay itself is what is rehearsed: the target group waits it out.
        time.sleep(self.timings.deregistration_delay)
        code = self.replicas[name].terminate(self.timings.stop_timeout)
        self.balancer.set_state(name, "maint")
        return code

    def close(self) -> None:
        for replica in self.replicas.values():
            replica.remove()
        self.balancer.stop()
