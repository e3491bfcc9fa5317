"""Announcing everything again, in the background and at most once per interval.

Home Assistant's birth message (`homeassistant/status online`) asks for every discovery config and
state again. Anyone on the broker can send it, and a flood of 1,500 once froze the hub for 8.9 s:
so births only ask, and this runs the announcement, never more often than `min_interval` (births
that come meanwhile are folded into the next one), in a task that gives the loop back between slices.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Coroutine
from typing import Any

from hub.core import Hub


class Announcer:
    def __init__(
        self, hub: Hub, min_interval: float, announce: Callable[[], Coroutine[Any, Any, None]]
    ) -> None:
        self._hub = hub
        self._min_interval = min_interval
        self._announce = announce
        self._wanted = False
        self._last = -math.inf
        self._task: asyncio.Task[None] | None = None

    def request(self, *, now: bool = False) -> None:
        """Announce soon; `now` (a fresh connection) starts over at once whatever ran or waited."""
        self._wanted = True
        if now:
            self.cancel()
            self._last = -math.inf
        if self._task is None or self._task.done():
            self._task = self._hub.async_create_background_task(self._async_run(), name="mqtt announce")

    def cancel(self) -> None:
        if self._task is not None:
            self._task.cancel()
            self._task = None

    async def _async_run(self) -> None:
        clock = self._hub.clock  # the interval is the hub's (a test's ManualClock moves it)
        while self._wanted:
            wait = self._last + self._min_interval - clock.monotonic()
            if wait > 0:
                await clock.async_sleep(wait)
            self._wanted = False
            self._last = clock.monotonic()
            await self._announce()
