"""Hostile and malformed requests as raw bytes over a socket, where HTTP clients
would refuse to send them. Each must get the right 4xx (or, where the client never
finishes its request, no answer and no harm), and the server must stay healthy.
Protocol-level garbage is refused by uvicorn's HTTP parser before the app sees it
(plain-text 400); everything the app sees gets a JSON {"error": ...}."""
import re
import socket
import time
from pathlib import Path

import httpx
import pytest

from tests.support import ONE_ROW_BODY, running_gateway
from tests.gateway.hostile_values import deep, infer_document, infer_tensor
from tests.rawhttp import exchange, read_response

JSON_HEAD = "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"


def post(body: bytes, path: str = "/predict", extra: str = "") -> bytes:
    head = JSON_HEAD.format(path=path, length=len(body))
    if extra:
        head = head[:-2] + extra + "\r\n"
    return head.encode() + body


BINARY_HEADER = b'{"inputs":[{"name":"input","shape":[1,4],"datatype":"FP32","parameters":{"binary_data_size":16}}]}'


def v2(header: bytes, binary: bytes = b"", header_length: int | None = None) -> bytes:
    """A binary-extension infer request, its header length stated (truthfully unless given)."""
    length = len(header) if header_length is None else header_length
    return post(header + binary, "/v2/models/iris/infer", f"Inference-Header-Content-Length: {length}\r\n")


INFER = "/v2/models/iris/infer"
# A value nested as deep as the JSON parser allows, in every field a client controls:
# a message that described it with repr() or str() would recurse into a 500.
DEEP_VALUES = [
    ("deep features", post(b'{"features": ' + deep() + b"}"), 400, b"must hold 4 numbers"),
    ("deep instances", post(b'{"instances": ' + deep() + b"}"), 400, b"row 0"),
    ("deep row", post(b'{"instances": [[1, 2, 3, 4], ' + deep() + b"]}"), 400, b"row 1"),
    *[(f"v2 deep tensor {field}", post(infer_tensor(**{field: deep()}), INFER), 400, b'"error"')
      for field in ("name", "datatype", "shape", "data", "parameters")],
    ("v2 deep binary_data_size",
     post(infer_tensor(data=None, parameters=b'{"binary_data_size": ' + deep() + b"}"), INFER),
     400, b"binary_data_size is a list"),
    *[(f"v2 deep {field}", post(infer_document(**{field: deep()}), INFER), 400, b'"error"')
      for field in ("id", "parameters", "outputs")],
    ("v2 deep inputs", post(b'{"inputs": ' + deep() + b"}", INFER), 400, b'"error"'),
    ("v2 deep output name", post(infer_document(outputs=b'[{"name": ' + deep() + b"}]"), INFER), 400,
     b"unknown output a list"),
    ("v2 deep output parameters", post(infer_document(outputs=b'[{"name": "label", "parameters": ' + deep() + b"}]"),
     INFER), 400, b'"error"'),
    ("v2 deep binary_data_output", post(infer_document(parameters=b'{"binary_data_output": ' + deep() + b"}"), INFER),
     400, b'"error"'),
]

# (id, raw request, expected status or None for "no answer expected", text the answer must contain)
CORPUS = [
    ("not http", b"HELLO\r\n\r\n", 400, b""),
    ("binary noise", bytes(range(256)) * 4, 400, b""),
    ("bad method token", b"P@ST /predict HTTP/1.1\r\nHost: x\r\n\r\n", 400, b""),
    ("space in header name", b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400, b""),
    ("negative content-length", b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", 400, b""),
    ("two content-lengths", b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
     400, b""),
    ("malformed chunk size", b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Transfer-Encoding: chunked\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n", 400, b""),
    ("header without colon", b"GET /health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400, b""),
    ("control char in header", b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400, b""),
    # The first 10 bytes are a (bad) body; the rest parses as a broken next request.
    ("content-length shorter than body", JSON_HEAD.format(path="/predict", length=10).encode()
     + ONE_ROW_BODY, 400, b""),
    ("empty body", post(b""), 400, b"request body is empty"),
    ("truncated json", post(b'{"features": [5.1, 3.5'), 400, b"not valid JSON"),
    ("json null", post(b"null"), 400, b"must be a JSON object"),
    ("nul bytes", post(b'{"features": [5.1, 3.5, 1.4, 0.2]}\x00\x00'), 400, b"not valid JSON"),
    ("invalid utf-8", post(b'{"features": "\xff\xfe\xfd"}'), 400, b"not valid JSON"),
    ("overlong utf-8", post(b'{"f\xc0\xafeatures": [1, 2, 3, 4]}'), 400, b"not valid JSON"),
    ("lone surrogate escape", post(b'{"features": ["\\ud800", 1, 2, 3]}'), 400, b""),
    ("deep nesting", post(b'{"features": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"), 400, b"not valid JSON"),
    ("deep objects", post(b'{"a":' * 5000 + b"1" + b"}" * 5000), 400, b"not valid JSON"),
    ("huge integer", post(b'{"features": [' + b"9" * 5000 + b', 1, 2, 3]}'), 400, b""),
    ("1e400", post(b'{"features": [1e400, 1, 2, 3]}'), 400, b"number is infinity"),
    ("-1e400", post(b'{"features": [-1e400, 1, 2, 3]}'), 400, b"number is infinity"),
    ("NaN literal", post(b'{"features": [NaN, 1, 2, 3]}'), 400, b"not valid JSON"),
    ("beyond float32", post(b'{"features": [3.5e38, 1, 2, 3]}'), 400, b"outside the float32 range"),
    ("overflowing model", post(b'{"features": [-6e16, -1.78e38, 1e-250, 1.6e38]}'), 400, b"cannot score"),
    ("many keys", post(b"{" + b",".join(b'"k%d": 1' % i for i in range(20000)) + b"}"), 400, b"must have"),
    ("features as string", post(b'{"features": "5.1,3.5,1.4,0.2"}'), 400, b"got a string"),
    ("too many rows", post(b'{"instances": [' + b",".join([b"[1,2,3,4]"] * 10001) + b"]}"), 400,
     b"the limit is 10000"),
    ("text/plain body", post(b'{"features": [1, 2, 3, 4]}', extra="").replace(
        b"application/json", b"text/plain"), 415, b"Content-Type must be"),
    ("v2 lying header length", v2(b'{"inputs": []}', header_length=99999), 400, b"does not fit"),
    ("v2 binary size past the end", v2(BINARY_HEADER, b"\x00" * 8), 400, b"needs 16 bytes"),
    ("v2 trailing bytes", v2(BINARY_HEADER, b"\x00" * 20), 400, b"4 bytes follow"),
    ("v2 NaN in binary", v2(BINARY_HEADER, b"\x00\x00\xc0\x7f" * 4), 400, b"NaN"),
    ("v2 size not shape x dtype", v2(BINARY_HEADER.replace(b"16", b"12"), b"\x00" * 12), 400, b"needs 16 bytes"),
    ("unknown route", b"GET /admin/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404, b"no route"),
    ("wrong method", b"DELETE /predict HTTP/1.1\r\nHost: x\r\n\r\n", 405, b"not allowed"),
    ("very long path", b"GET /" + b"a" * 7000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 404, b"no route"),
    ("declared 50 MB", b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
     b"Content-Length: 52428800\r\n\r\n", 413, b"exceeds 1048576 bytes (GATEWAY_MAX_BODY_BYTES)"),
    ("numeric string", post(b'{"features": ["5.1", 3.5, 1.4, 0.2]}'), 400, b"must be a number, got a string"),
    ("numeric strings in a batch", post(b'{"instances": [[5.1, 3.5, 1.4, 0.2], ["1", "2", "3", "4"]]}'), 400,
     b"must be a number, got a string"),
    ("v2 numeric strings", post(infer_tensor(data=b'["5.1", 3.5, 1.4, 0.2]'), INFER), 400, b"a string found"),
    ("v2 long name is cut short", post(infer_tensor(name=b'"' + b"n" * 100_000 + b'"'), INFER), 400,
     b"'nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn...'"),
    *DEEP_VALUES,
    ("body never finished", JSON_HEAD.format(path="/predict", length=500).encode() + b'{"features": [', None, b""),
]


@pytest.fixture(scope="module")
def hostile_gateway(repo_root, tmp_path_factory):
    with running_gateway(repo_root, tmp_path_factory.mktemp("hostile") / "gateway.log") as gateway:
        yield gateway
    assert gateway.process.returncode == 0, "the gateway survived the corpus and stopped cleanly"


@pytest.mark.parametrize(("raw", "status", "text"), [c[1:] for c in CORPUS], ids=[c[0] for c in CORPUS])
def test_hostile_request(hostile_gateway, raw, status, text):
    reply = exchange(hostile_gateway.port, raw)
    if status is None:
        assert reply == b"", "nothing may be answered for a request that never finished"
    else:
        assert reply.startswith(b"HTTP/1.1 %d " % status), reply[:200]
        assert text in reply
        if b"content-type: application/json" in reply.lower():
            assert b'{"error":' in reply
    assert httpx.get(hostile_gateway.url + "/health", timeout=5).status_code == 200


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_a_50_mb_body_is_refused_with_memory_flat(hostile_gateway):
    pid = hostile_gateway.process.pid
    before = rss_kib(pid)
    head = (b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n")
    chunk = b"%x\r\n%s\r\n" % (1 << 20, b" " * (1 << 20))
    with socket.create_connection(("127.0.0.1", hostile_gateway.port), timeout=10) as connection:
        connection.sendall(head)
        sent = 0
        try:
            for _ in range(50):  # 50 chunks of 1 MiB
                connection.sendall(chunk)
                sent += 1
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = read_response(connection)
    after = rss_kib(pid)
    assert reply.startswith(b"HTTP/1.1 413 "), reply[:200]
    assert after - before < 10 * 1024, f"RSS grew {after - before} KiB while refusing a 50 MB body"
    assert httpx.get(hostile_gateway.url + "/health", timeout=5).status_code == 200


def test_a_slow_body_is_waited_for_and_answered(hostile_gateway):
    raw = post(ONE_ROW_BODY)
    with socket.create_connection(("127.0.0.1", hostile_gateway.port), timeout=10) as connection:
        for start in range(0, len(raw), 20):
            connection.sendall(raw[start:start + 20])
            time.sleep(0.1)  # paces the client: a slow sender, not a wait for the server
        reply = read_response(connection)
    assert reply.startswith(b"HTTP/1.1 200 ") and b'"prediction":0' in reply


def test_pipelined_requests_are_answered_in_order(hostile_gateway):
    good, bad = post(ONE_ROW_BODY), post(b'{"features": [1]}')
    with socket.create_connection(("127.0.0.1", hostile_gateway.port), timeout=10) as connection:
        connection.sendall(good + bad + good)
        reply = b""
        while reply.count(b"HTTP/1.1 ") < 3 or not reply.endswith(b"}"):
            reply += connection.recv(65536)
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", reply)
    assert statuses == [b"200", b"400", b"200"]
