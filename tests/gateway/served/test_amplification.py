"""Small requests that ask a lot: each body below the 1 MiB limit must be refused with
a 400 without raising the server's peak memory by more than a small bound, and without
holding its (single) event loop for long. Measured on a real server from /proc: peak
RSS (VmHWM) and the CPU time the process spent on the request."""
import os
from pathlib import Path

import httpx
import orjson
import pytest

from tests.support import running_gateway
from tests.gateway.hostile_values import deep, infer_tensor, predict
from tests.support import ORIGINAL_ROW

MAX_BODY = 1_048_576
PEAK_GROWTH_LIMIT_KIB = 64 * 1024
# CPU seconds, not wall time: the figure does not depend on what else the machine runs.
CPU_LIMIT_SECONDS = 0.1

LONG = "a" * 20_000
INFER = "/v2/models/iris/infer"

# (id, path, body): every one a client error.
SHAPES = [
    ("long string among numbers", "/predict", predict([LONG] + [1] * 9_999)),
    ("long string in a batch", "/predict", orjson.dumps({"instances": [[LONG, 1, 1, 1]] + [[1, 1, 1, 1]] * 999})),
    ("many short strings", "/predict", predict(["a"] * 150_000)),
    ("deep nesting", "/predict", b'{"features": ' + deep() + b"}"),
    ("huge integers", "/predict", predict([10**18] * 45_000)),
    ("huge floats", "/predict", predict([1e308] * 40_000)),
    ("wide row", "/predict", predict([1] * 450_000)),
    ("wide batch", "/predict", orjson.dumps({"instances": [[1] * 100] * 4_000})),
    ("many keys", "/predict", b"{" + b",".join(b'"k%d": 1' % i for i in range(70_000)) + b"}"),
    ("v2 long string among numbers", INFER,
     infer_tensor(shape=b"[2500, 4]", data=orjson.dumps([LONG] + [1] * 9_999))),
    ("v2 many short strings", INFER, infer_tensor(shape=b"[10000, 4]", data=orjson.dumps(["a"] * 40_000))),
    ("v2 nested strings", INFER, infer_tensor(shape=b"[2500, 4]", data=orjson.dumps([[LONG, 1, 1, 1]] * 40))),
    ("v2 deep data", INFER, infer_tensor(data=deep(990))),
    ("v2 huge shape", INFER, infer_tensor(shape=b"[" + b",".join([b"999999999"] * 90_000) + b"]")),
    ("v2 many inputs", INFER, b'{"inputs": [' + b",".join([infer_tensor()[12:-2]] * 9_000) + b"]}"),
    ("v2 many outputs", INFER, infer_tensor()[:-1] + b', "outputs": [' + b",".join([b'{"name": "label"}'] * 50_000)
     + b"]}"),
]


def status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def cpu_seconds(pid: int) -> float:
    # utime and stime, fields 14 and 15 of /proc/<pid>/stat (after the parenthesised name).
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@pytest.fixture(scope="module")
def gateway(repo_root, tmp_path_factory):
    with running_gateway(repo_root, tmp_path_factory.mktemp("amplification") / "gateway.log") as gateway:
        with httpx.Client(base_url=gateway.url, timeout=30) as client:
            for _ in range(20):  # warm: imports, first allocations, the model's arena
                client.post("/predict", json={"instances": [list(ORIGINAL_ROW)] * 1000})
                client.post(INFER, content=infer_tensor())
            yield gateway, client, status_kib(gateway.process.pid, "VmHWM")
    assert gateway.process.returncode == 0


def test_the_bodies_are_under_the_limit():
    sizes = {name: len(body) for name, _, body in SHAPES}
    assert all(size <= MAX_BODY for size in sizes.values()), sizes


@pytest.mark.parametrize(("path", "body"), [shape[1:] for shape in SHAPES], ids=[shape[0] for shape in SHAPES])
def test_a_small_request_cannot_make_the_server_allocate_or_block(gateway, path, body):
    server, client, baseline_peak = gateway
    pid = server.process.pid
    cpu_before = cpu_seconds(pid)
    reply = client.post(path, content=body, headers={"content-type": "application/json"})
    cpu = cpu_seconds(pid) - cpu_before
    growth = status_kib(pid, "VmHWM") - baseline_peak
    assert reply.status_code == 400, reply.text[:300]
    assert "error" in reply.json()
    assert len(reply.content) < 2_000, "the error does not echo the client's payload back"
    assert growth < PEAK_GROWTH_LIMIT_KIB, f"peak RSS grew {growth / 1024:.0f} MiB over the warmed server's"
    assert cpu < CPU_LIMIT_SECONDS, f"the server spent {cpu:.2f} CPU seconds on one request"
    assert client.get("/health").status_code == 200
