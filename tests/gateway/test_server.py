"""Against a real `python -m gateway` (uvicorn) on a free loopback port."""
import signal
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from gateway.metrics import FLUSH_SECONDS
from tests.gateway.conftest import ONE_ROW


def test_serves_the_seed_example(start_gateway):
    gateway = start_gateway()
    response = httpx.post(gateway.url + "/predict", json=ONE_ROW, headers={"x-request-id": "seed-1"})
    assert response.status_code == 200
    assert response.json()["prediction"] == 0
    assert response.headers["x-request-id"] == "seed-1"
    assert "server" not in response.headers


def raw_request(port: int, head: bytes, body_parts: list[bytes], pause: float = 0.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head)
        try:
            for part in body_parts:
                connection.sendall(part)
                time.sleep(pause)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before we finished: that is the point
        return read_response(connection)


def read_response(connection: socket.socket) -> bytes:
    """One whole HTTP/1.1 response with a Content-Length."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
    )
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def test_oversized_body_is_refused_before_it_is_sent(start_gateway):
    gateway = start_gateway(max_body_bytes="65536")
    head = (
        b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 52428800\r\n\r\n"
    )
    # Only the head is sent: the 413 must come from the declared length alone.
    reply = raw_request(gateway.port, head, [])
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert b"exceeds the limit of 65536 bytes" in reply
    assert httpx.get(gateway.url + "/health").status_code == 200


def test_chunked_body_over_the_limit_is_cut_off_while_reading(start_gateway):
    gateway = start_gateway(max_body_bytes="65536")
    head = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = b"%x\r\n%s\r\n" % (16384, b" " * 16384)
    # 200 chunks would be 3.2 MB; the answer must come after about 4 of them.
    reply = raw_request(gateway.port, head, [chunk] * 200, pause=0.002)
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert httpx.get(gateway.url + "/health").status_code == 200


def test_sigterm_drains_then_exits_0_without_cutting_a_request(start_gateway):
    gateway = start_gateway(drain_seconds="1.5", shutdown_seconds="10")
    batch = {"instances": [[5.1, 3.5, 1.4, 0.2]] * 1000}
    results: list[int] = []
    health_during_drain: list[int] = []
    stop = threading.Event()

    def client_loop() -> None:
        with httpx.Client(base_url=gateway.url, timeout=10) as client:
            while not stop.is_set():
                try:
                    results.append(client.post("/predict", json=batch).status_code)
                except httpx.ConnectError:
                    return  # listening stopped after the drain: refused, never cut

    with ThreadPoolExecutor(8) as pool:
        for _ in range(8):
            pool.submit(client_loop)
        time.sleep(0.5)
        before = len(results)
        gateway.process.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        health_during_drain.append(httpx.get(gateway.url + "/health").status_code)
        time.sleep(0.5)
        during = len(results)
        stop.set()
    assert gateway.process.wait(timeout=30) == 0
    assert before > 0 and during > before, "requests kept being served while draining"
    assert health_during_drain == [503]
    assert set(results) == {200}, f"every received request completed: {set(results)}"


@pytest.mark.parametrize("workers", ["2"])
def test_several_workers_share_metrics(start_gateway, tmp_path, workers):
    gateway = start_gateway(workers=workers, temp_dir=str(tmp_path))
    for _ in range(20):
        assert httpx.post(gateway.url + "/predict", json=ONE_ROW).status_code == 200

    def predicted_rows() -> float:
        lines = httpx.get(gateway.url + "/metrics").text.splitlines()
        return float(next(line for line in lines if line.startswith("gateway_predicted_rows_total")).split()[-1])

    # Each worker publishes its tallies at least every FLUSH_SECONDS; the scrape
    # lands on one worker and sums every worker's files.
    deadline = time.monotonic() + 3 * FLUSH_SECONDS + 2
    while predicted_rows() < 20 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert predicted_rows() == 20
    assert any(tmp_path.glob("prometheus/*.db"))
