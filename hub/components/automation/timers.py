"""Timers on the hub's clock: delays and `for:` spells on the monotonic clock, time triggers on the wall.

One heap per clock and one task that sleeps until the earliest deadline. A ManualClock (tests, replays)
tells the timers when it is moved, and due callbacks run right then, inside `advance()`; a real clock
moves by itself, so the task sleeps until the deadline, and at most WALL_RECHECK_SECONDS at a time
for wall-clock deadlines, so an NTP step is noticed within that.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.core.clock import Clock

_LOGGER = logging.getLogger(__name__)
WALL_RECHECK_SECONDS = 5.0


@dataclass(order=True, slots=True)
class _Timer:
    due: float
    seq: int
    callback: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class Timers:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._monotonic: list[_Timer] = []
        self._wall: list[_Timer] = []
        self._seq = itertools.count()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unlisten = clock.add_listener(self.run_due)

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._async_run(), name="automation timers")

    async def async_stop(self) -> None:
        self._unlisten()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._monotonic.clear()
        self._wall.clear()

    def call_later(self, seconds: float, callback: Callable[[], None]) -> Callable[[], None]:
        """Run `callback` once `seconds` have passed on the monotonic clock; returns the cancel."""
        return self._add(self._monotonic, self._clock.monotonic() + max(seconds, 0.0), callback)

    def call_at(self, moment: datetime, callback: Callable[[], None]) -> Callable[[], None]:
        """Run `callback` once the wall clock reaches `moment`; returns the cancel."""
        return self._add(self._wall, moment.timestamp(), callback)

    async def async_sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        cancel = self.call_later(seconds, lambda: resolve(future, None))
        try:
            await future
        finally:
            cancel()

    def _add(self, heap: list[_Timer], due: float, callback: Callable[[], None]) -> Callable[[], None]:
        timer = _Timer(due, next(self._seq), callback)
        heapq.heappush(heap, timer)
        if heap[0] is timer:
            self._wake.set()

        def cancel() -> None:
            timer.cancelled = True

        return cancel

    def run_due(self) -> None:
        """Run every callback whose deadline has come (in deadline order)."""
        for heap, now in (
            (self._monotonic, self._clock.monotonic()),
            (self._wall, self._clock.now().timestamp()),
        ):
            while heap and heap[0].due <= now:
                timer = heapq.heappop(heap)
                if timer.cancelled:
                    continue
                timer.cancelled = True
                try:
                    timer.callback()
                except Exception:
                    _LOGGER.exception("Automation timer callback %r failed", timer.callback)
        self._wake.set()

    def _next_wait(self) -> float:
        for heap in (self._monotonic, self._wall):
            while heap and heap[0].cancelled:
                heapq.heappop(heap)
        wait = 3600.0
        if self._monotonic:
            wait = min(wait, self._monotonic[0].due - self._clock.monotonic())
        if self._wall:
            wall = self._wall[0].due - self._clock.now().timestamp()
            wait = min(wait, wall, WALL_RECHECK_SECONDS)
        return max(wait, 0.0)

    async def _async_run(self) -> None:
        while True:
            self._wake.clear()
            wait = self._next_wait()
            if wait > 0:
                try:
                    async with asyncio.timeout(wait):
                        await self._wake.wait()
                except TimeoutError:
                    pass
            self.run_due()
            await asyncio.sleep(0)


def resolve(future: asyncio.Future[Any], value: Any) -> None:
    """Set a future's result unless it is done (or cancelled) already."""
    if not future.done():
        future.set_result(value)
