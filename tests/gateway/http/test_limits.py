"""What one client can hold (gateway/http/limits.py), without a server: the watchdog
that ends a body read past its deadline, and the count of requests in progress. Real
servers with real slow clients: tests/gateway/served/test_limits.py."""
import asyncio

import pytest

from gateway.http.limits import Admission, BodyDeadlines


def test_a_read_past_its_deadline_is_cancelled_and_reported_as_a_timeout():
    async def scenario() -> tuple[int, int, bool]:
        deadlines = BodyDeadlines(seconds=5)
        never = asyncio.get_running_loop().create_future()

        async def read() -> bool:
            task = asyncio.current_task()
            deadlines.start(task, now=100.0)
            try:
                await never
            except asyncio.CancelledError:
                return deadlines.timed_out(task)
            finally:
                deadlines.stop(task)
            return False

        task = asyncio.create_task(read())
        await asyncio.sleep(0)  # the read starts and waits
        early = deadlines.expire(now=104.9)
        late = deadlines.expire(now=105.0)
        timed_out = await task
        return early, late, timed_out and task.cancelling() == 0

    assert asyncio.run(scenario()) == (0, 1, True)


def test_a_cancellation_that_is_not_the_watchdogs_stays_a_cancellation():
    async def scenario() -> bool:
        deadlines = BodyDeadlines(seconds=5)
        task = asyncio.create_task(asyncio.sleep(60))
        deadlines.start(task, now=0.0)
        await asyncio.sleep(0)
        task.cancel()  # a shutdown, say
        with pytest.raises(asyncio.CancelledError):
            await task
        return deadlines.timed_out(task)

    assert asyncio.run(scenario()) is False


def test_the_current_task_is_found_through_the_serving_loop_or_without_one():
    async def scenario() -> bool:
        unbound, bound = BodyDeadlines(seconds=5), BodyDeadlines(seconds=5)
        bound.loop = asyncio.get_running_loop()

        async def read() -> bool:
            me = asyncio.current_task()
            return unbound.current_task() is me and bound.current_task() is me

        results = await asyncio.gather(read(), read())
        return all(results)

    assert asyncio.run(scenario())


def test_admission_refuses_beyond_the_limit_but_never_the_probes():
    admission = Admission(limit=2, exempt=frozenset({"/health"}))
    admission.in_progress = 2
    assert not admission.admit("/predict")
    assert admission.admit("/health")
    admission.in_progress = 1
    assert admission.admit("/predict")
