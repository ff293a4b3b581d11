import logging
import platform

import pytest

from gateway.logs import skip_caller_lookup


def test_the_caller_lookup_switch_still_exists_and_works(monkeypatch):
    if not hasattr(logging, "_srcfile"):
        pytest.fail(f"Python {platform.python_version()} has no logging._srcfile: see gateway.logs.skip_caller_lookup")
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
