"""Logging set-up: named loggers, plain text or one JSON object per line."""
import logging
import logging.config
from typing import Any, Final

import orjson

from gateway.settings import Settings

ACCESS_LOGGER: Final = "gateway.access"


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
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
        else {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    )
    level = settings.log_level.upper()
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": formatter, "bare": {"format": "%(message)s"}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "default", "stream": "ext://sys.stderr"},
            # Access lines arrive formatted, in batches (gateway.access).
            "access": {"class": "logging.StreamHandler", "formatter": "bare", "stream": "ext://sys.stderr"},
        },
        "loggers": {
            "gateway": {"handlers": ["stderr"], "level": level, "propagate": False},
            ACCESS_LOGGER: {"handlers": ["access"], "level": level, "propagate": False},
            "uvicorn": {"handlers": ["stderr"], "level": level, "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


def skip_caller_lookup() -> None:
    """The logging HOWTO's documented switch (its "Optimization" section) for not
    walking the stack to find each record's caller: `logging._srcfile = None`. It is
    an underscore name all the same; tests/gateway/test_logs.py fails naming the
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
