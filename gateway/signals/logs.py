"""Logging set-up: named loggers, plain text or one JSON object per line, and one
thread that does all the writing.

A record is formatted where it is logged and written by a thread of its own: a
write to a pipe whose reader is slow (a container's log driver) blocks until the
reader catches up, and on the event loop every request arriving meanwhile would
wait with it. One queue and one writer keep the records of every logger in the
order they were logged, and no two threads write to the stream at once (which
would interleave their lines). The queue holds at most MAX_QUEUED records (each
access record is a batch of up to 1,024 lines): a reader stalled for longer than
that holds the logging caller back, as a direct write would, rather than lines
being dropped or the queue growing without bound. At exit the writer is stopped
once it has written everything queued (atexit runs after uvicorn has finished).
"""
import atexit
import logging
import logging.config
import logging.handlers
import queue
import sys
import time
from typing import Any, Final

import orjson

from gateway.settings import Settings

ACCESS_LOGGER: Final = "gateway.access"
# CloudWatch EMF documents (gateway.signals.emf) and sampled payloads (gateway.signals.payloads):
# lines of their own, written whatever the log level.
EMF_LOGGER: Final = "gateway.emf"
PAYLOAD_LOGGER: Final = "gateway.payload"
MAX_QUEUED: Final = 64

_records: "queue.Queue[logging.LogRecord | None]" = queue.Queue(MAX_QUEUED)
_writer: logging.handlers.QueueListener | None = None


class _BlockingQueueHandler(logging.handlers.QueueHandler):
    """The standard QueueHandler, waiting for room in the bounded queue instead of
    failing (its put_nowait would report an error for each record that found it full)."""

    def enqueue(self, record: logging.LogRecord) -> None:
        self.queue.put(record)


def queued() -> logging.Handler:
    """A handler (dictConfig's "()" factory) that formats in the logging thread and
    hands the finished line to the process's one writer thread, started on first use."""
    global _writer
    if _writer is None:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(logging.Formatter("%(message)s"))  # formatted already, by the QueueHandler
        _writer = logging.handlers.QueueListener(_records, stream)
        _writer.start()
        atexit.register(stop_writer)
    return _BlockingQueueHandler(_records)


def stop_writer() -> None:
    """Write what is queued, then stop the writer thread."""
    global _writer
    if _writer is not None:
        _writer.stop()
        _writer = None


_SECOND: Final = "%Y-%m-%dT%H:%M:%S"
# The last second formatted, and its text: lines arrive in bursts within a second.
# One tuple, swapped whole, because the logging thread and the event loop both read it.
_last_second: tuple[int, str] = (-1, "")
# Each millisecond's ending, formatted once: ".000Z" to ".999Z".
_MILLISECONDS: Final = tuple(f".{millisecond:03d}Z" for millisecond in range(1000))


def timestamp(when: float) -> str:
    """The time on every log line, access lines included: ISO 8601 in UTC to the
    millisecond (2026-12-03T17:26:55.123Z)."""
    global _last_second
    second, text = _last_second
    if not second <= when < second + 1:
        second = int(when)
        text = time.strftime(_SECOND, time.gmtime(second))
        _last_second = (second, text)
    return text + _MILLISECONDS[int((when - second) * 1000)]


class TextFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return timestamp(record.created)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": timestamp(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(entry).decode()


def logging_config(settings: Settings) -> dict[str, Any]:
    """A dictConfig for the gateway's and uvicorn's loggers; uvicorn's own access
    log is off because the gateway writes one line per request with its request id."""
    formatter = (
        {"()": JsonFormatter}
        if settings.log_format == "json"
        else {"()": TextFormatter, "format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter, "bare": {"format": "%(message)s"}},
        "handlers": {
            "stderr": {"()": queued, "formatter": "default"},
            # Access lines arrive formatted, in batches (gateway.signals.access).
            "access": {"()": queued, "formatter": "bare"},
        },
        "loggers": {
            "gateway": {"handlers": ["stderr"], "level": level, "propagate": False},
            ACCESS_LOGGER: {"handlers": ["access"], "level": level, "propagate": False},
            EMF_LOGGER: {"handlers": ["access"], "level": "INFO", "propagate": False},
            PAYLOAD_LOGGER: {"handlers": ["access"], "level": "INFO", "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def skip_caller_lookup() -> None:
    """The logging HOWTO's documented switch (its "Optimization" section) for not
    walking the stack to find each record's caller: `logging._srcfile = None`. It is
    an underscore name all the same; tests/gateway/signals/test_logs.py fails naming the
    Python version if it goes."""
    logging._srcfile = None


def configure(settings: Settings) -> None:
    # The logging HOWTO's "Optimization" switches: a record then skips the stack
    # walk for its caller and the thread and process look-ups, which together cost
    # more than running the model for one row. No format here uses them.
    skip_caller_lookup()
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging.config.dictConfig(logging_config(settings))
