"""Timers on a real clock (the ManualClock path is in every other test): due work runs on time,
cancelled work never."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from hub.components.automation.timers import Timers
from hub.core import Clock


async def test_real_clock_timers_fire_in_order_and_cancel() -> None:
    clock = Clock()
    timers = Timers(clock)
    timers.start()
    fired: list[str] = []
    done = asyncio.get_running_loop().create_future()
    try:
        timers.call_later(0.06, lambda: fired.append("later"))
        cancel = timers.call_later(0.03, lambda: fired.append("cancelled"))
        timers.call_at(clock.now() + timedelta(seconds=0.02), lambda: fired.append("wall"))
        timers.call_later(0.1, lambda: done.set_result(None))
        cancel()
        await asyncio.wait_for(done, 5)
        await asyncio.wait_for(timers.async_sleep(0.01), 5)
    finally:
        await timers.async_stop()
    assert fired == ["wall", "later"]
