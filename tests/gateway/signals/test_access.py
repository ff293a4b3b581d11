"""The access log (gateway/signals/access.py): one entry is exactly one line,
whatever the client puts in it. On a real server: tests/gateway/served/test_access.py."""
import logging
import urllib.parse

import pytest

from gateway.signals.access import AccessLog, printable
from tests.gateway.hostile_values import HOSTILE_PATHS


@pytest.mark.parametrize("path, character", HOSTILE_PATHS.values(), ids=list(HOSTILE_PATHS))
def test_printable_escapes_control_characters(path, character):
    decoded = urllib.parse.unquote(path.decode())
    assert character in decoded
    escaped = printable(decoded)
    assert character not in escaped and escaped.isprintable()
    assert printable("/predict") == "/predict"


def test_one_line_per_entry_even_with_newlines_in_the_path(caplog):
    log = AccessLog(logging.getLogger("gateway.access.test"), json_lines=False)
    with caplog.at_level(logging.INFO, logger="gateway.access.test"):
        log.record("POST", "/predict\nforged line", 404, 0.001, b"id-1")
        log.record("GET\r\n", "/health", 200, 0.001, b"id-2")
        log.flush()
    lines = caplog.records[0].getMessage().split("\n")
    assert len(lines) == 2
    assert "id=id-1" in lines[0] and "id=id-2" in lines[1]
