"""Against a real `python -m gateway` (uvicorn) on a free loopback port."""
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import orjson
import pytest

from gateway.signals.metrics import FLUSH_SECONDS
from tests.support import ONE_ROW
from tests.rawhttp import read_response
from tests.waiting import wait_until
from tests.support import ORIGINAL_ROW


def test_serves_the_seed_example(start_gateway):
    gateway = start_gateway()
    response = httpx.post(gateway.url + "/predict", json=ONE_ROW, headers={"x-request-id": "seed-1"})
    assert response.status_code == 200
    assert response.json()["prediction"] == 0
    assert response.headers["x-request-id"] == "seed-1"
    assert "server" not in response.headers


def example_in(message: str) -> dict:
    """The request an empty body's 400 shows: the JSON object at the end of its message."""
    return json.loads(message[message.index("{"):])


def test_an_empty_body_is_shown_an_example_for_the_route_and_the_model(start_gateway, repo_root):
    """Each route answers an empty POST with a request to copy in its own protocol, for
    the model served (its card): v2 inputs by the card's tensor name, /predict features."""
    card = json.loads((repo_root / "models" / "iris.json").read_text())
    (tensor,) = card["tensors"]["inputs"]
    gateway = start_gateway()
    infer = f"{gateway.url}/v2/models/{card['name']}/infer"
    v2 = httpx.post(infer, content=b"")
    predict = httpx.post(gateway.url + "/predict", content=b"")
    assert (v2.status_code, predict.status_code) == (400, 400), (v2.text, predict.text)
    v2_message, predict_message = v2.json()["error"], predict.json()["error"]
    assert '"inputs"' in v2_message and '"features"' not in v2_message, v2_message
    # "input" alone is in "inputs": the name must be the tensor's.
    assert [spec["name"] for spec in example_in(v2_message)["inputs"]] == [tensor["name"]], v2_message
    assert '"features"' in predict_message and '"inputs"' not in predict_message, predict_message
    # What is shown is a request the gateway answers.
    assert httpx.post(infer, json=example_in(v2_message)).status_code == 200
    assert httpx.post(gateway.url + "/predict", json=example_in(predict_message)).status_code == 200


def raw_request(port: int, head: bytes, body_parts: list[bytes], pause: float = 0.0) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(head)
        try:
            for part in body_parts:
                connection.sendall(part)
                time.sleep(pause)  # paces the client
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before we finished: that is the point
        return read_response(connection)


def error_of(reply: bytes) -> str:
    """The `error` of a raw reply's JSON body."""
    return orjson.loads(reply.partition(b"\r\n\r\n")[2])["error"]


def test_oversized_body_is_refused_before_it_is_sent(start_gateway):
    gateway = start_gateway(max_body_bytes="65536")
    head = (
        b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 52428800\r\n\r\n"
    )
    # Only the head is sent: the 413 must come from the declared length alone.
    reply = raw_request(gateway.port, head, [])
    assert reply.startswith(b"HTTP/1.1 413 ")
    # The answer names the limit and the variable that raises it.
    assert error_of(reply) == "request body of 52428800 bytes exceeds 65536 bytes (GATEWAY_MAX_BODY_BYTES)"
    assert httpx.get(gateway.url + "/health").status_code == 200


def test_chunked_body_over_the_limit_is_cut_off_while_reading(start_gateway):
    gateway = start_gateway(max_body_bytes="65536")
    head = b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    chunk = b"%x\r\n%s\r\n" % (16384, b" " * 16384)
    # 200 chunks would be 3.2 MB; the answer must come after about 4 of them.
    reply = raw_request(gateway.port, head, [chunk] * 200, pause=0.002)
    assert reply.startswith(b"HTTP/1.1 413 ")
    assert error_of(reply) == "request body exceeds 65536 bytes (GATEWAY_MAX_BODY_BYTES)"
    assert httpx.get(gateway.url + "/health").status_code == 200


def test_sigterm_drains_then_exits_0_without_cutting_a_request(start_gateway):
    # A drain long enough that a loaded machine still serves during it; the test
    # waits on what it needs to see, so a quick machine does not wait it out.
    gateway = start_gateway(drain_seconds="5", shutdown_seconds="20")
    batch = {"instances": [list(ORIGINAL_ROW)] * 1000}
    results: list[int] = []
    stop = threading.Event()

    def client_loop() -> None:
        with httpx.Client(base_url=gateway.url, timeout=30) as client:
            while not stop.is_set():
                try:
                    results.append(client.post("/predict", json=batch).status_code)
                except httpx.ConnectError:
                    return  # listening stopped after the drain: refused, never cut

    def health() -> int:
        return httpx.get(gateway.url + "/health", timeout=10).status_code

    with ThreadPoolExecutor(4) as pool:
        for _ in range(4):
            pool.submit(client_loop)
        wait_until(lambda: len(results) >= 4, 60, "requests served before SIGTERM")
        gateway.process.send_signal(signal.SIGTERM)
        wait_until(lambda: health() == 503, 30, "/health to report 503 once draining")
        # Past the (at most 4) requests in flight when 503 was seen: these were
        # accepted after the drain began.
        draining_since = len(results)
        wait_until(lambda: len(results) > draining_since + 8, 30, "requests accepted and served while draining")
        stop.set()
    assert gateway.process.wait(timeout=60) == 0
    assert set(results) == {200}, f"every received request completed: {set(results)}"


@pytest.mark.parametrize("workers", ["2"])
def test_several_workers_share_metrics(start_gateway, tmp_path, workers):
    gateway = start_gateway(workers=workers, temp_dir=str(tmp_path))
    for _ in range(20):
        assert httpx.post(gateway.url + "/predict", json=ONE_ROW).status_code == 200

    def predicted_rows() -> float:
        lines = httpx.get(gateway.admin_url + "/metrics").text.splitlines()
        return float(next(line for line in lines if line.startswith("gateway_predicted_rows_total")).split()[-1])

    # Each worker publishes its tallies at least every FLUSH_SECONDS; the scrape
    # lands on one worker and sums every worker's files.
    wait_until(lambda: predicted_rows() >= 20, 30 * FLUSH_SECONDS, "both workers' tallies in one scrape")
    assert predicted_rows() == 20
    assert any(tmp_path.glob("prometheus/*.db"))


@pytest.mark.parametrize("variable", ["GATEWAY_DRAIN_SECONDS", "GATEWAY_SHUTDOWN_SECONDS"])
def test_a_non_finite_duration_stops_the_start_with_exit_2(repo_root, variable):
    env = {key: value for key, value in os.environ.items() if not key.startswith("GATEWAY_")}
    env[variable] = "nan"
    done = subprocess.run([sys.executable, "-m", "gateway"], cwd=repo_root, env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert f"{variable}='nan' is invalid: must be a finite number" in done.stderr
