"""A body over the limit gets its 413 and message through to ordinary clients.

Clients that send the whole body before reading (Python's urllib, httpx) used to
get a connection reset: the server closed with unread data in its receive buffer.
The gateway now answers, drains what is still coming (bounded), then closes.
"""
import subprocess
import urllib.error
import urllib.request
from typing import Iterator

import httpx
import orjson
import pytest

from tests.support import GatewayProcess, running_gateway

LIMIT = 1_048_576
SIZES_MB = (2, 20, 50)
PIECE = 65_536


@pytest.fixture(scope="module")
def gateway(repo_root, tmp_path_factory) -> Iterator[GatewayProcess]:
    log = tmp_path_factory.mktemp("gateway") / "gateway.log"
    with running_gateway(repo_root, log, max_body_bytes=str(LIMIT)) as process:
        yield process


def pieces(size: int) -> Iterator[bytes]:
    block = b" " * PIECE
    for start in range(0, size, PIECE):
        yield block[: min(PIECE, size - start)]


def with_urllib(url: str, size: int, chunked: bool, tmp_path) -> tuple[int, bytes]:
    headers = {"Content-Type": "application/json"}
    if chunked:
        headers["Transfer-Encoding"] = "chunked"
    data = pieces(size) if chunked else b" " * size
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def with_httpx(url: str, size: int, chunked: bool, tmp_path) -> tuple[int, bytes]:
    content = pieces(size) if chunked else b" " * size
    response = httpx.post(url, content=content, headers={"Content-Type": "application/json"}, timeout=60)
    return response.status_code, response.content


def with_curl(url: str, size: int, chunked: bool, tmp_path) -> tuple[int, bytes]:
    body = tmp_path / "body.json"
    body.write_bytes(b" " * size)
    command = ["curl", "-sS", "-X", "POST", "--data-binary", f"@{body}", "-H", "Content-Type: application/json",
               "-w", "\n%{http_code}", url]
    if chunked:
        command[1:1] = ["-H", "Transfer-Encoding: chunked"]
    done = subprocess.run(command, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    payload, _, status = done.stdout.rpartition(b"\n")
    return int(status), payload


CLIENTS = {"urllib": with_urllib, "httpx": with_httpx, "curl": with_curl}


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("megabytes", SIZES_MB)
@pytest.mark.parametrize("client", list(CLIENTS))
def test_every_client_reads_the_413_and_its_message(gateway, tmp_path, client, megabytes, chunked):
    status, payload = CLIENTS[client](gateway.url + "/predict", megabytes * 1_000_000, chunked, tmp_path)
    assert status == 413
    assert orjson.loads(payload)["error"].endswith(" exceeds 1048576 bytes (GATEWAY_MAX_BODY_BYTES)")
    assert httpx.get(gateway.url + "/health").status_code == 200
