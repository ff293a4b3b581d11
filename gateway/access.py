"""The access log: one line per request, written in batches.

A logging call per request (a LogRecord, a formatter pass, a write) costs more on
the serving core than running the model for one row (measured with bench/).
Requests are therefore recorded as tuples and formatted together, at most
FLUSH_SECONDS later, in one pass; each batch goes out as one record of the named
logger `gateway.access`, one line per request, through whatever handler the
logging configuration gives that logger.
"""
import logging
import time
from typing import Final

import orjson

FLUSH_SECONDS: Final = 0.5
MAX_PENDING: Final = 1024

Entry = tuple[float, str, str, int, float, bytes]


def printable(text: str) -> str:
    """Client-controlled text made safe for a plain log line: control characters
    (newlines, carriage returns, ANSI escapes) and other unprintables become
    backslash escapes, so one request is always exactly one line. uvicorn decodes
    %0A in a path into a real newline."""
    return text if text.isprintable() else text.encode("unicode_escape").decode("ascii")


class AccessLog:
    def __init__(self, logger: logging.Logger, json_lines: bool, max_pending: int = MAX_PENDING) -> None:
        self._logger = logger
        self._json_lines = json_lines
        self._max_pending = max_pending
        self._pending: list[Entry] = []
        self._second = -1
        self._stamp = ""

    def record(self, method: str, path: str, status: int, seconds: float, request_id: bytes) -> None:
        self._pending.append((time.time(), method, path, status, seconds, request_id))
        if len(self._pending) >= self._max_pending:
            self.flush()

    def _timestamp(self, when: float) -> str:
        second = int(when)
        if second != self._second:  # requests arrive in bursts within a second
            self._second, self._stamp = second, time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(second))
        return f"{self._stamp}.{int(when % 1 * 1000):03d}"

    def _line(self, entry: Entry) -> str:
        when, method, path, status, seconds, request_id = entry
        if self._json_lines:
            return orjson.dumps({
                "time": self._timestamp(when), "level": "info", "logger": self._logger.name,
                "method": method, "path": path, "status": status,
                "duration_ms": round(seconds * 1000, 3), "request_id": request_id.decode(),
            }).decode()
        return (
            f"{self._timestamp(when)} INFO {self._logger.name} {printable(method)} {printable(path)} {status}"
            f" {seconds * 1000:.3f}ms id={request_id.decode()}"
        )

    def flush(self) -> None:
        if not self._pending:
            return
        entries, self._pending = self._pending, []
        if self._logger.isEnabledFor(logging.INFO):
            self._logger.info("\n".join(map(self._line, entries)))
