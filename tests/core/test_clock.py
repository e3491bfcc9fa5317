"""Timers on the hub's clock: a ManualClock moved by hand runs what came due, in order, at once."""

from __future__ import annotations

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

from hub.core import ManualClock


def manual() -> ManualClock:
    return ManualClock(datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")))


async def test_moving_the_clock_runs_due_timers_in_the_order_they_came_due() -> None:
    clock = manual()
    ran: list[str] = []
    clock.call_later(30, lambda: ran.append("30 s"))
    clock.call_later(10, lambda: ran.append("10 s"))
    cancel = clock.call_later(20, lambda: ran.append("cancelled"))
    clock.call_later(90, lambda: ran.append("90 s"))
    cancel()
    clock.advance(9.9)
    assert ran == []
    clock.advance(25)
    assert ran == ["10 s", "30 s"]
    clock.advance(60)
    assert ran == ["10 s", "30 s", "90 s"]
    clock.advance(600)
    assert ran == ["10 s", "30 s", "90 s"]  # each once


async def test_a_sleep_on_the_clock_ends_when_the_clock_passes_it_or_real_time_does() -> None:
    clock = manual()
    long_sleep = asyncio.create_task(clock.async_sleep(3600))
    short_sleep = asyncio.create_task(clock.async_sleep(0.01))
    await asyncio.wait_for(short_sleep, 2)  # nothing drives it: real time ends it
    assert not long_sleep.done()
    clock.advance(3600)
    await asyncio.wait_for(long_sleep, 1)


async def test_a_timer_that_raises_does_not_stop_the_others(caplog) -> None:
    clock = manual()
    ran: list[int] = []

    def boom() -> None:
        raise RuntimeError("boom")

    clock.call_later(1, boom)
    clock.call_later(2, lambda: ran.append(2))
    clock.advance(5)
    assert ran == [2]
    assert [str(r.exc_info[1]) for r in caplog.records if r.exc_info] == ["boom"]  # logged, once
