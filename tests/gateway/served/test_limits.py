"""What one client can hold, on real servers with real slow clients: a place among the
requests in progress (503 beyond the limit) and time to send its body (408 beyond the
deadline)."""
import socket
import time

import httpx
import orjson
import pytest

from tests.rawhttp import read_response
from tests.support import ONE_ROW, running_gateway
from tests.waiting import wait_until

# A body announced at 1,000 bytes of which only the start is sent.
SLOW_HEAD = (
    b"POST /predict HTTP/1.1\r\nHost: gateway\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"
    b'{"features": [5.1, '
)


def slow_upload(port: int) -> socket.socket:
    """A client that announces a body and sends only its start, then waits."""
    connection = socket.create_connection(("127.0.0.1", port), timeout=60)
    connection.sendall(SLOW_HEAD)
    return connection


def test_requests_beyond_the_limit_are_refused_while_probes_and_operators_get_through(repo_root, tmp_path):
    limit = 3
    with running_gateway(repo_root, tmp_path / "gateway.log", max_concurrent_requests=str(limit),
                         body_timeout_seconds="300") as gateway, httpx.Client(timeout=30) as client:
        uploads = [slow_upload(gateway.port) for _ in range(limit)]
        try:
            refused = wait_until(
                lambda: (reply := client.post(gateway.url + "/predict", json=ONE_ROW)).status_code == 503 and reply,
                60, f"a request beyond the {limit} slow uploads in progress to be refused",
            )
            assert f"{limit} requests are in progress" in refused.json()["error"]
            assert refused.headers["retry-after"] == "1"
            # Readiness and liveness stay cheap and answered: the balancer must not
            # take a busy task for a dead one.
            assert client.get(gateway.url + "/health").status_code == 200
            assert client.get(gateway.url + "/live").status_code == 200
            assert client.get(gateway.admin_url + "/live").status_code == 200
            assert client.get(gateway.admin_url + "/metrics").status_code == 200
        finally:
            for upload in uploads:
                upload.close()
        # The slow clients gone, their places are free again.
        wait_until(lambda: client.post(gateway.url + "/predict", json=ONE_ROW).status_code == 200, 60,
                   "a prediction to be served once the slow uploads have gone")


@pytest.mark.parametrize("trickle", [False, True], ids=["stalled", "trickling"])
def test_a_body_that_does_not_arrive_in_time_is_a_408_and_the_connection_closes(repo_root, tmp_path, trickle):
    with running_gateway(repo_root, tmp_path / "gateway.log", body_timeout_seconds="1") as gateway:
        with slow_upload(gateway.port) as upload:
            started = time.monotonic()
            if trickle:
                # One byte at a time, each within any per-read timeout: only a
                # deadline for the whole body ends it. The sleep paces the client.
                upload.settimeout(0.2)
                answer = b""
                while not answer and time.monotonic() - started < 60:
                    try:
                        upload.sendall(b" ")
                    except (BrokenPipeError, ConnectionResetError):
                        break
                    try:
                        answer = upload.recv(65536)
                    except socket.timeout:
                        continue
                upload.settimeout(30)
                answer += read_response(upload)
            else:
                answer = read_response(upload)
            head, _, body = answer.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 408"), answer[:300]
            assert b"connection: close" in head.lower()
            assert orjson.loads(body)["error"] == "the request body did not arrive within 1 s"
            assert upload.recv(1) == b"", "the server closed the connection"
        assert httpx.post(gateway.url + "/predict", json=ONE_ROW, timeout=10).json()["prediction"] == 0
