"""The access log of a real server: one request is exactly one line, whatever the
client puts in it; every line is written, in order, and the writing never holds up
serving."""
import json
import os
import signal
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.gateway.hostile_values import HOSTILE_PATHS
from tests.support import ONE_ROW, running_gateway
from tests.waiting import wait_until


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
        assert line.endswith(f"trace=- id=hostile-{number}") and line.isprintable(), line
    assert not any(line.startswith("forged") for line in gateway.output().splitlines())
    # Every access line is a real one: a timestamp first, never injected text.
    access = [line for line in gateway.output().splitlines() if "gateway.access" in line]
    assert all(line[:4].isdigit() and " INFO gateway.access " in line for line in access), access


def access_ids(output: str) -> list[str]:
    """The request ids of the access lines (JSON lines), in the order written; a
    line that is not whole JSON fails here."""
    lines = [line for line in output.splitlines() if "\"gateway.access\"" in line]
    entries = [json.loads(line) for line in lines]
    return [entry["request_id"] for entry in entries]


def test_every_line_is_written_in_order_after_a_sigterm_under_load(start_gateway):
    gateway = start_gateway(log_format="json", access_log="true", drain_seconds="1", shutdown_seconds="20")
    clients = 4
    answered: list[list[str]] = [[] for _ in range(clients)]
    stop = threading.Event()

    def client_loop(client: int) -> None:
        with httpx.Client(base_url=gateway.url, timeout=30) as session:
            for number in range(1_000_000):
                if stop.is_set():
                    return
                request_id = f"c{client}-{number}"
                try:
                    response = session.post("/predict", json=ONE_ROW, headers={"x-request-id": request_id})
                except httpx.TransportError:
                    return  # listening stopped after the drain
                assert response.status_code == 200
                answered[client].append(request_id)

    with ThreadPoolExecutor(clients) as pool:
        running = [pool.submit(client_loop, client) for client in range(clients)]
        wait_until(lambda: sum(map(len, answered)) >= 2000, 120, "2,000 requests served before SIGTERM")
        gateway.process.send_signal(signal.SIGTERM)
        assert gateway.process.wait(timeout=60) == 0
        stop.set()
        for future in running:
            future.result()
    written = access_ids(gateway.output())
    assert len(written) == len(set(written)), "a request logged twice"
    for client in range(clients):
        mine = [request_id for request_id in written if request_id.startswith(f"c{client}-")]
        # A request whose answer was lost in the shutdown may have a line too, so the
        # answered ones are a prefix of what was written, in the order they were sent.
        assert mine[:len(answered[client])] == answered[client]
        assert len(mine) <= len(answered[client]) + 1


def test_a_stalled_log_reader_does_not_hold_up_serving(repo_root, tmp_path):
    """The gateway's output is a pipe nobody reads (a log driver that fell behind):
    once its 64 KiB buffer is full, a write blocks until the reader catches up."""
    fifo = tmp_path / "gateway.log"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # open, but not read until the end
    output = bytearray()

    def drain() -> None:
        os.set_blocking(reader, True)
        while chunk := os.read(reader, 1 << 16):
            output.extend(chunk)

    draining = threading.Thread(target=drain)
    try:
        with running_gateway(repo_root, fifo, log_format="json", access_log="true") as gateway:
            sent = [f"stalled-{number}" for number in range(2000)]  # ~250 KB of access lines
            with httpx.Client(base_url=gateway.url, timeout=30) as session:
                for request_id in sent:
                    response = session.post("/predict", json=ONE_ROW, headers={"x-request-id": request_id})
                    assert response.status_code == 200
            draining.start()
            assert gateway.stop() == 0
        draining.join(timeout=60)
        assert not draining.is_alive()
        assert [i for i in access_ids(output.decode()) if i.startswith("stalled-")] == sent
    finally:
        os.close(reader)


ALB_TRACE = "Root=1-67891233-abcdef012345678912345678;Parent=53995c3f42cd8ad8;Sampled=1"


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_the_load_balancers_trace_id_is_on_the_access_line(start_gateway, log_format):
    """X-Amzn-Trace-Id as the ALB sends it is recorded with the request id; a header
    that is not one (spaces, a forged field) is not, and a request without one says so."""
    gateway = start_gateway(log_format=log_format, access_log="true")
    sent = {
        "alb-1": ALB_TRACE,
        "forged-1": "Root=1-2 id=someone-else",
        "none-1": None,
    }
    for request_id, trace in sent.items():
        headers = {"x-request-id": request_id, **({"x-amzn-trace-id": trace} if trace else {})}
        assert httpx.post(gateway.url + "/predict", json=ONE_ROW, headers=headers).status_code == 200

    def lines() -> dict[str, str]:
        found = {rid: line for line in gateway.output().splitlines() for rid in sent if f"{rid}" in line
                 and "gateway.access" in line}
        return found if len(found) == len(sent) else {}

    written = wait_until(lines, 30, "the access lines")
    if log_format == "json":
        traces = {rid: json.loads(line)["trace_id"] for rid, line in written.items()}
        assert traces == {"alb-1": ALB_TRACE, "forged-1": None, "none-1": None}
    else:
        assert written["alb-1"].endswith(f"trace={ALB_TRACE} id=alb-1")
        assert written["forged-1"].endswith("trace=- id=forged-1")
        assert written["none-1"].endswith("trace=- id=none-1")
