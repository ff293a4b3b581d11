"""HAProxy from Debian as the stand-in for the Application Load Balancer.

The target group's health check becomes `option httpchk` with the same path,
interval, timeout and thresholds; deregistration becomes the runtime API's
`drain` state. Slots are declared up front, disabled, and enabled as replicas come.
"""
import socket
import subprocess
import time
from pathlib import Path

from bench.rehearsal.timings import Timings

BACKEND = "gateway"


def config(port: int, stats: Path, slots: dict[str, int], timings: Timings) -> str:
    ms = lambda seconds: f"{max(1, round(seconds * 1000))}ms"  # noqa: E731
    fall = f"fall {timings.unhealthy_threshold}"
    servers = "\n".join(f"  server {name} 127.0.0.1:{slot_port} check disabled" for name, slot_port in slots.items())
    return f"""global
  stats socket {stats} mode 600 level admin
  maxconn 8192

defaults
  mode http
  timeout connect 2s
  timeout client 60s
  timeout server 60s
  timeout check {ms(timings.health_check_timeout)}
  # A connection refused or closed before any answer is retried on another
  # replica, as the ALB does not: the report says whether any reached a client.
  retries 3
  option redispatch 1
  retry-on conn-failure empty-response

frontend public
  bind 127.0.0.1:{port}
  default_backend {BACKEND}

backend {BACKEND}
  balance roundrobin
  option httpchk GET {timings.health_check_path}
  http-check expect status 200
  default-server inter {ms(timings.health_check_interval)} rise {timings.healthy_threshold} {fall}
  # Which replica answered, for the accounting.
  http-response set-header X-Replica %s
{servers}
"""


class HAProxy:
    def __init__(self, work: Path, port: int, slots: dict[str, int], timings: Timings) -> None:
        self.stats = work / "haproxy.sock"
        self.port = port
        path = work / "haproxy.cfg"
        path.write_text(config(port, self.stats, slots, timings))
        self.process = subprocess.Popen(["haproxy", "-db", "-f", str(path)], stdout=subprocess.DEVNULL,
                                        stderr=open(work / "haproxy.log", "wb"))
        deadline = time.monotonic() + 10
        while not self.stats.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"haproxy did not start: {(work / 'haproxy.log').read_text()}")
            time.sleep(0.02)

    def command(self, line: str) -> str:
        with socket.socket(socket.AF_UNIX) as connection:
            connection.connect(str(self.stats))
            connection.sendall(line.encode() + b"\n")
            reply = b""
            while chunk := connection.recv(65536):
                reply += chunk
        return reply.decode()

    def set_state(self, server: str, state: str) -> None:
        """ready (take traffic once healthy), drain (deregister: no new requests), maint (gone)."""
        self.command(f"set server {BACKEND}/{server} state {state}")

    def status(self) -> dict[str, str]:
        """Each server's status as HAProxy sees it: UP, DOWN, DRAIN, MAINT, UP 1/2..."""
        lines = self.command("show stat").splitlines()
        header = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(header, line.split(","))) for line in lines[1:] if line]
        return {row["svname"]: row["status"] for row in rows if row["pxname"] == BACKEND
                and row["svname"] not in ("FRONTEND", "BACKEND")}

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)
