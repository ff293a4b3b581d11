"""The access log: one line per request, written in batches.

A logging call per request (a LogRecord, a formatter pass, a write) costs more on
the serving core than running the model for one row (measured with bench/).
Each request's line is therefore formatted as the request ends (a request's
worth of work, never a whole batch's at once) and kept; at most FLUSH_SECONDS
later the lines go out together as one record of the named logger
`gateway.access`, one line per request, through whatever handler the logging
configuration gives that logger (gateway.signals.logs writes it from a thread of its own).
"""
import logging
import time
from typing import Final

import orjson

from gateway.signals.logs import timestamp

FLUSH_SECONDS: Final = 0.5
MAX_PENDING: Final = 1024


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
        self._pending: list[str] = []
        # What every text line holds after its time: the level and the logger's name.
        self._prefix = f"INFO {logger.name}"

    def record(
        self, method: str, path: str, status: int, seconds: float, request_id: bytes, trace: bytes | None = None
    ) -> None:
        """`trace`: the load balancer's X-Amzn-Trace-Id, already checked (gateway.http.front)."""
        self._pending.append(self._line(time.time(), method, path, status, seconds, request_id, trace))
        if len(self._pending) >= self._max_pending:
            self.flush()

    def _line(
        self, when: float, method: str, path: str, status: int, seconds: float, request_id: bytes,
        trace: bytes | None,
    ) -> str:
        if self._json_lines:
            return orjson.dumps({
                "time": timestamp(when), "level": "info", "logger": self._logger.name,
                "method": method, "path": path, "status": status,
                "duration_ms": round(seconds * 1000, 3), "request_id": request_id.decode(),
                "trace_id": None if trace is None else trace.decode(),
            }).decode()
        # One expression, printable() called only for text that needs escaping: this
        # runs on every request.
        return (
            f"{timestamp(when)} {self._prefix} {method if method.isprintable() else printable(method)}"
            f" {path if path.isprintable() else printable(path)} {status} {seconds * 1000:.3f}ms"
            f" trace={'-' if trace is None else trace.decode()} id={request_id.decode()}"
        )

    def flush(self) -> None:
        if not self._pending:
            return
        lines, self._pending = self._pending, []
        if self._logger.isEnabledFor(logging.INFO):
            self._logger.info("\n".join(lines))
