"""Run a flush every few seconds for as long as the app lives, and once more at the end."""
import asyncio
from typing import Callable


async def every(seconds: float, action: Callable[[], None]) -> None:
    try:
        while True:
            await asyncio.sleep(seconds)
            action()
    finally:
        action()
