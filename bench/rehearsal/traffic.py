"""Constant single-row /predict traffic through the balancer, every response accounted
for: its status or socket error, and which replica and release answered; and slow
uploads, clients that announce a large body and trickle it."""
import http.client
import socket
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Self

from bench import card

# The committed card's first example: the model the serve image holds.
BODY = card.predict_body(card.load())
HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Outcome:
    at: float
    seconds: float
    status: int | None
    """None when the request failed at the socket."""
    error: str | None
    replica: str | None
    release: str | None

    @property
    def failed(self) -> bool:
        return self.status is None or self.status >= 400


class Clients:
    """`count` client threads against the balancer's port, running from `with` until its end."""

    def __init__(self, port: int, count: int) -> None:
        self.port = port
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(count)]

    def _client(self, index: int) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)


class Traffic(Clients):
    """`connections` clients, each on its own keep-alive connection, sending back to back."""

    def __init__(self, port: int, connections: int) -> None:
        self._results: list[list[Outcome]] = [[] for _ in range(connections)]
        super().__init__(port, connections)

    def _client(self, index: int) -> None:
        results = self._results[index]
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                connection.request("POST", "/predict", BODY, HEADERS)
                response = connection.getresponse()
                response.read()
                results.append(Outcome(started, time.monotonic() - started, response.status, None,
                                       response.getheader("X-Replica"), response.getheader("X-Release")))
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException) as error:
                results.append(Outcome(started, time.monotonic() - started, None, type(error).__name__, None, None))
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        connection.close()

    def answered(self) -> int:
        return sum(len(results) for results in self._results)

    def outcomes(self) -> list[Outcome]:
        return sorted((o for results in self._results for o in list(results)), key=lambda o: o.at)


class SlowUploads(Clients):
    """`count` clients that each announce a 1 MiB body, send 64 KiB of it and then one
    byte a second (always inside a balancer's idle timeout), until answered or stopped:
    what they hold in a replica, and how long, is what the gateway lets a slow client keep."""

    ANNOUNCED, SENT_AT_ONCE = 1_048_576, 65_536

    def __init__(self, port: int, count: int) -> None:
        self._answers: list[tuple[int | None, float]] = []
        self._lock = threading.Lock()
        super().__init__(port, count)

    def _client(self, index: int) -> None:
        started = time.monotonic()
        status = None
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as connection:
                connection.sendall(b"POST /predict HTTP/1.1\r\nHost: rehearsal\r\nContent-Type: application/json\r\n"
                                   b"Content-Length: %d\r\n\r\n" % self.ANNOUNCED + b" " * self.SENT_AT_ONCE)
                connection.settimeout(1)  # paces the trickle: one byte a second
                while not self._stop.is_set():
                    try:
                        head = connection.recv(64)
                    except socket.timeout:
                        connection.sendall(b" ")
                        continue
                    if head.startswith(b"HTTP/1."):
                        status = int(head.split(b" ", 2)[1])
                    break
        except OSError:
            pass
        with self._lock:
            self._answers.append((status, time.monotonic() - started))

    def summary(self) -> dict[str, Any]:
        with self._lock:
            answers = list(self._answers)
        answered = [seconds for status, seconds in answers if status is not None]
        return {
            "slow_uploads": len(self._threads),
            "slow_statuses": dict(Counter(str(status) for status, _ in answers if status is not None)),
            "slow_unanswered": sum(status is None for status, _ in answers),
            "slow_answered_after_s_max": round(max(answered), 1) if answered else None,
        }


def summary(outcomes: list[Outcome]) -> dict[str, Any]:
    if not outcomes:
        return {"requests": 0}
    span = max(o.at + o.seconds for o in outcomes) - min(o.at for o in outcomes)
    latencies = sorted(o.seconds for o in outcomes if not o.failed)
    return {
        "requests": len(outcomes),
        "failed": sum(o.failed for o in outcomes),
        "statuses": dict(Counter(str(o.status) for o in outcomes if o.status is not None)),
        "socket_errors": dict(Counter(o.error for o in outcomes if o.error)),
        "by_replica": dict(Counter(o.replica or "-" for o in outcomes)),
        "by_release": dict(Counter(o.release or "-" for o in outcomes)),
        "requests_per_second": round(len(outcomes) / span, 1) if span else None,
        "p50_ms": round(statistics.median(latencies) * 1000, 2) if latencies else None,
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2) if len(latencies) > 100 else None,
    }
