import datetime
import logging
import platform
import re

import orjson
import pytest

from gateway.signals.access import AccessLog
from gateway.signals.logs import JsonFormatter, TextFormatter, skip_caller_lookup, timestamp


def test_the_caller_lookup_switch_still_exists_and_works(monkeypatch):
    if not hasattr(logging, "_srcfile"):
        pytest.fail(f"Python {platform.python_version()} has no logging._srcfile:"
                    " see gateway.signals.logs.skip_caller_lookup")
    monkeypatch.setattr(logging, "_srcfile", logging._srcfile)
    skip_caller_lookup()
    # With the lookup skipped, a record does not know the function that logged it.
    logger = logging.getLogger("gateway.test.caller")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger.addHandler(handler)
    try:
        logger.warning("where am I")
    finally:
        logger.removeHandler(handler)
    assert records[0].funcName in (None, "(unknown function)")


def test_the_timestamp_is_right_whether_its_second_was_formatted_last_or_not():
    """timestamp keeps the last second's text: a line in the same second, a later one
    or an earlier one (a clock set back) must each read as the standard library formats
    that instant (the instants lie well inside their millisecond, away from where
    rounding to microseconds and truncating to milliseconds disagree)."""
    base = 1_780_000_000.0
    instants = [base + 0.2504, base + 0.2506, base + 0.2515, base + 0.9995, base + 1.0005, base + 61.5005,
                base + 0.2504, base - 86_400.0015]
    for when in instants:
        expected = datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")
        assert timestamp(when) == expected[:-3] + "Z", when


def test_every_line_has_one_time_format_utc_to_the_millisecond():
    """Application lines (text and JSON) and access lines carry the same timestamp."""
    stamp = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
    record = logging.LogRecord("gateway.test", logging.INFO, __file__, 1, "hello", None, None)
    record.created = 1_780_000_000.25
    assert timestamp(record.created) == "2026-05-28T20:26:40.250Z"
    text = TextFormatter("%(asctime)s %(levelname)s %(name)s %(message)s").format(record)
    assert text == "2026-05-28T20:26:40.250Z INFO gateway.test hello"
    assert stamp.match(orjson.loads(JsonFormatter().format(record))["time"])
    access = AccessLog(logging.getLogger("gateway.access"), json_lines=True)
    line = access._line(record.created, "POST", "/predict", 200, 0.001, b"id-1", None)
    assert orjson.loads(line)["time"] == timestamp(record.created)
