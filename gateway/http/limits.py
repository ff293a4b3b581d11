"""What one client can make the server hold: a place among the requests in
progress, and time to send its body.

A request that suspends while its body trickles in keeps its buffered body and
its place for as long as the client likes; a thousand of them fill a task's
memory. `Admission` bounds how many requests are in progress on the public port
(503 beyond) and `BodyDeadlines` how long a body may take to arrive (408 beyond).

A timer per request, `asyncio.timeout()` or `call_later` plus `cancel` around each
read, would be a sizeable share of a one-row prediction's cost (`python -m
bench.timers` measures a timer under uvloop; bench/results.md, "What is left", what
a whole request costs). So reads register in a dict, and one watchdog (`expire`,
run every `WATCHDOG_SECONDS`) cancels those past their deadline, the way
asyncio.timeout does: cancel, then uncancel where the read turns the cancellation
into a BodyTimeout.
"""
import asyncio
from typing import Final

# How often the watchdog looks: a body times out between its deadline and this much later.
WATCHDOG_SECONDS: Final = 0.25


class Admission:
    """Counts the public port's requests in progress; `admit` says whether one more may start.

    `exempt` paths are never refused: the probes a load balancer and an orchestrator
    send, cheap and bodiless, or an overloaded but healthy task would be replaced."""

    def __init__(self, limit: int, exempt: frozenset[str]) -> None:
        self.limit = limit
        self.exempt = exempt
        self.in_progress = 0

    def admit(self, path: str) -> bool:
        return self.in_progress < self.limit or path in self.exempt


class BodyDeadlines:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._reading: dict[asyncio.Task, float] = {}
        self._expired: set[asyncio.Task] = set()
        # The serving loop, set when the app starts (gateway.app's lifespan).
        self.loop: asyncio.AbstractEventLoop | None = None

    def current_task(self) -> asyncio.Task:
        """The running task. Found through the serving loop, not
        asyncio.get_running_loop(): on CPython 3.11 that makes a getpid() system
        call each time (its check for a forked process), one per request."""
        task = asyncio.current_task(self.loop)
        assert task is not None
        return task

    def start(self, task: asyncio.Task, now: float) -> None:
        """`task` begins reading a body; `now` on the clock `expire` is given (time.perf_counter)."""
        self._reading[task] = now + self.seconds

    def stop(self, task: asyncio.Task) -> None:
        self._reading.pop(task, None)

    def expire(self, now: float) -> int:
        """Cancel every read past its deadline; return how many were cancelled."""
        late = [task for task, deadline in self._reading.items() if deadline <= now and task not in self._expired]
        for task in late:
            self._expired.add(task)
            task.cancel()
        return len(late)

    def timed_out(self, task: asyncio.Task) -> bool:
        """Called on a CancelledError during a read: True (and the cancellation
        withdrawn) when it was this watchdog's, False for any other (a shutdown)."""
        if task not in self._expired:
            return False
        self._expired.discard(task)
        task.uncancel()
        return True
