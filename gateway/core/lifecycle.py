"""Readiness and draining: what /health reports, and the SIGTERM drain window.

On SIGTERM the gateway first drains: /health answers 503 so the load balancer
stops sending, while requests keep being served for `drain_seconds`. Only then is
uvicorn's own graceful shutdown started: listening stops, requests in flight
finish, the process exits. ECS deregisters a task from its target group before it
sends SIGTERM, so the drain mostly covers other orchestrators and stragglers.
"""
import asyncio
import logging
import signal
import threading
from enum import Enum
from types import FrameType
from typing import Callable

logger = logging.getLogger("gateway.lifecycle")


class Phase(Enum):
    STARTING = "starting"
    READY = "ready"
    DRAINING = "draining"


class Lifecycle:
    def __init__(self) -> None:
        self.phase = Phase.STARTING

    @property
    def ready(self) -> bool:
        return self.phase is Phase.READY

    def mark_ready(self) -> None:
        self.phase = Phase.READY

    def begin_drain(self) -> None:
        self.phase = Phase.DRAINING


SignalHandler = Callable[[int, FrameType | None], object]


def install_drain_on_sigterm(lifecycle: Lifecycle, drain_seconds: float) -> Callable[[], None] | None:
    """Put a drain window in front of the server's SIGTERM handler.

    Called from the lifespan, inside the worker process, after uvicorn has
    installed its own handlers. Returns a function that restores them, or None
    where signals cannot be handled (not the main thread, as under a test client).
    """
    if threading.current_thread() is not threading.main_thread():
        return None
    loop = asyncio.get_running_loop()
    server_handler = signal.getsignal(signal.SIGTERM)
    if not callable(server_handler):
        return None

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if lifecycle.phase is Phase.DRAINING:
            server_handler(signum, frame)  # a second SIGTERM: stop now
            return
        lifecycle.begin_drain()
        logger.info("SIGTERM: draining for %.1f s before shutdown", drain_seconds)
        loop.call_soon_threadsafe(loop.call_later, drain_seconds, server_handler, signum, None)

    signal.signal(signal.SIGTERM, on_sigterm)

    def restore() -> None:
        if signal.getsignal(signal.SIGTERM) is on_sigterm:
            signal.signal(signal.SIGTERM, server_handler)

    return restore


def exit_0_after_a_drained_shutdown() -> None:
    """Called before uvicorn starts. uvicorn re-raises the SIGTERM it handled once it
    has shut down, which would turn a clean, drained shutdown into death by signal
    (exit 143). Ignoring it here, where uvicorn restores handlers to, keeps the exit
    code 0. Spawned workers inherit the same disposition."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
