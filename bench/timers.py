"""What a timer per request would cost the hot path (why gateway/http/limits.py keeps one watchdog).

    .venvs/serve/bin/python -m bench.timers

Under uvloop, as the gateway runs: an immediate receive alone, inside
asyncio.timeout(), and with loop.call_later plus cancel.
"""
import asyncio
import time

import uvloop

N = 200_000


async def receive() -> dict:
    return {"type": "http.request", "body": b"x", "more_body": False}


async def bare(n: int) -> None:
    for _ in range(n):
        await receive()


async def with_timeout(n: int) -> None:
    for _ in range(n):
        async with asyncio.timeout(10):
            await receive()


async def with_call_later(n: int) -> None:
    loop = asyncio.get_running_loop()
    for _ in range(n):
        handle = loop.call_later(10, print)
        await receive()
        handle.cancel()


async def main() -> None:
    for way in (bare, with_timeout, with_call_later):
        started = time.perf_counter()
        await way(N)
        print(f"{way.__name__:>16}: {(time.perf_counter() - started) / N * 1e6:.2f} µs per receive")
    print("reproduce: .venvs/serve/bin/python -m bench.timers")


if __name__ == "__main__":
    uvloop.run(main())
