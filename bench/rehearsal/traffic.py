"""Constant single-row /predict traffic through the balancer, every response accounted
for: its status or socket error, and which replica and release answered."""
import http.client
import statistics
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

BODY = b'{"features": [5.1, 3.5, 1.4, 0.2]}'
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


class Traffic:
    """`connections` clients, each on its own keep-alive connection, sending back to back."""

    def __init__(self, port: int, connections: int) -> None:
        self.port = port
        self.connections = connections
        self._stop = threading.Event()
        self._results: list[list[Outcome]] = [[] for _ in range(connections)]
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(connections)]

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

    def __enter__(self) -> "Traffic":
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def answered(self) -> int:
        return sum(len(results) for results in self._results)

    def outcomes(self) -> list[Outcome]:
        return sorted((o for results in self._results for o in list(results)), key=lambda o: o.at)


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
