"""The access log: one request is exactly one line, whatever the client puts in it."""
import logging
import socket
import urllib.parse

import pytest

from gateway.access import AccessLog, printable
from tests.waiting import wait_until

HOSTILE_PATHS = {
    "newline": (b"/predict%0Aforged%20INFO%20gateway.access%20GET%20/admin%20200", "\n"),
    "carriage return": (b"/predict%0D%0Aforged%20200", "\r"),
    "ansi escape": (b"/predict%1B%5B31mred%1B%5B0m", "\x1b"),
}


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


def test_a_real_server_writes_each_hostile_request_on_one_line(start_gateway):
    gateway = start_gateway(log_format="plain", access_log="true")
    for number, (path, _) in enumerate(HOSTILE_PATHS.values()):
        with socket.create_connection(("127.0.0.1", gateway.port), timeout=10) as connection:
            connection.sendall(
                b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                b"X-Request-Id: hostile-%d\r\nConnection: close\r\n\r\n" % number
            )
            while connection.recv(65536):
                pass

    def access_lines() -> list[str]:
        lines = [line for line in gateway.output().splitlines() if "hostile-" in line]
        return lines if len(lines) >= len(HOSTILE_PATHS) else []

    try:
        lines = wait_until(access_lines, 30, "the access log to be flushed")
    except TimeoutError:
        pytest.fail(gateway.output())
    assert len(lines) == len(HOSTILE_PATHS), lines
    for number, line in enumerate(lines):
        assert line.endswith(f"id=hostile-{number}") and line.isprintable(), line
    assert not any(line.startswith("forged") for line in gateway.output().splitlines())
    # Every access line is a real one: a timestamp first, never injected text.
    access = [line for line in gateway.output().splitlines() if "gateway.access" in line]
    assert all(line[:4].isdigit() and " INFO gateway.access " in line for line in access), access
