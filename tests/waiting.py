"""Waiting on conditions, never on the clock: tests must pass on a busy machine."""
import time
from typing import Callable, TypeVar

T = TypeVar("T")


def wait_until(condition: Callable[[], T], timeout: float, what: str, poll: float = 0.02) -> T:
    """Poll `condition` until it returns something truthy; return that value.

    `timeout` is a bound for a broken server, not an estimate of how long the
    condition takes: make it generous, since a loaded CI machine may be 10x slower.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up after {timeout} s waiting for {what}")
        time.sleep(poll)
