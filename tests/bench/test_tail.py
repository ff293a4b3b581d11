"""bench/tail.py: the long runs' page gives each server's rounds and judges on their medians."""
from bench.tail import markdown


def test_the_page_lists_every_round_and_the_ratio_of_the_medians():
    tail = {"command": "make bench-tail", "when": "2026-12-07 07:40 UTC", "seconds": 30, "rounds": 3,
            "machine": {"cpus": 2, "cpu": "Test CPU", "python": "3.11.7", "python_build": "CPython 3.11.7"},
            "servers": {
                "gateway-no-log": {"p99_ms": [0.50, 0.40, 0.45], "p50_ms": [0.1, 0.1, 0.1],
                                   "requests_per_second": [7000, 7100, 7200]},
                "gateway": {"p99_ms": [0.40, 0.90, 0.54], "p50_ms": [0.1, 0.1, 0.2],
                            "requests_per_second": [6900, 7000, 7100]},
            }}
    page = markdown(tail)
    assert "| gateway | 0.400, 0.900, 0.540 | 0.540 | 0.100 | 7,000 |" in page
    assert "| gateway-no-log | 0.500, 0.400, 0.450 | 0.450 | 0.100 | 7,100 |" in page
    assert "p99 1.20x with it on against off" in page  # 0.540 / 0.450, not the best rounds' 0.400 / 0.400
    assert "2 CPUs (Test CPU), CPython 3.11.7" in page
