"""Run wrk with the POST script and read its figures."""
import re
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from bench.workloads import Workload

LUA = Path(__file__).resolve().parent / "lua" / "post.lua"
_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3}


@dataclass(frozen=True)
class LoadResult:
    connections: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    requests: int

    def to_dict(self) -> dict:
        return asdict(self)


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(number) * _UNITS[unit]


def parse(output: str, connections: int) -> LoadResult:
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", output, flags=re.M))
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return LoadResult(
        connections=connections,
        requests_per_second=float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(map(int, errors.groups())) if errors else 0,
        requests=int(re.search(r"(\d+) requests in", output).group(1)),
    )


def run_wrk(url: str, workload: Workload, connections: int, seconds: float, core: str | None) -> LoadResult:
    pin = ["taskset", "-c", core] if core is not None else []
    extra = list(workload.header) if workload.header else []
    command = [
        *pin, "wrk", "--latency", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "5s", "-s", str(LUA),
        url + workload.path, "--", str(workload.body), workload.content_type, *extra,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return parse(output, connections)
