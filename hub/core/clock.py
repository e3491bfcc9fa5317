"""Time as the hub sees it: `hub.now()` goes through a clock so that tests and replays control it.

Two clocks: the wall clock (`now`) is what gets recorded; NTP may step it back and forth by minutes.
Intervals (how old a read is, how long since a passage was seen) use `monotonic`, which never steps.

Timers (`call_later`, `async_sleep`: HA's `async_call_later`) run once their seconds have passed on the
event loop or on the clock's monotonic time, whichever comes first. With a real clock the two are the
same; a test's `ManualClock.advance()` runs what came due at once (as HA's `async_fire_time_changed`),
in the order it came due, while anything the test does not drive still runs in real time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

_LOGGER = logging.getLogger(__name__)


class Clock:
    """Wall-clock time in the plant's time zone (China Standard Time unless configured)."""

    def __init__(self, tz: tzinfo | str = "Asia/Shanghai") -> None:
        self.tz: tzinfo = ZoneInfo(tz) if isinstance(tz, str) else tz

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def utcnow(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        """Seconds on the event loop's clock (time.monotonic): for intervals, never for records."""
        return time.monotonic()

    def add_listener(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Be told when the clock is moved by hand (ManualClock); real time moves without telling."""
        return lambda: None

    def call_later(self, seconds: float, callback: Callable[[], None]) -> Callable[[], None]:
        """Run `callback` once, `seconds` from now (in the loop); returns the cancel."""
        return asyncio.get_running_loop().call_later(max(seconds, 0.0), callback).cancel

    async def async_sleep(self, seconds: float) -> None:
        """`asyncio.sleep` on this clock: a ManualClock moved past the deadline ends it at once."""
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        cancel = self.call_later(seconds, lambda: None if future.done() else future.set_result(None))
        try:
            await future
        finally:
            cancel()


class _Timer:
    """A ManualClock's timer: due on its monotonic clock, or on the loop's as a fallback."""

    __slots__ = ("callback", "done", "due", "handle", "seq")

    def __init__(self, due: float, seq: int, callback: Callable[[], None]) -> None:
        self.due, self.seq, self.callback = due, seq, callback
        self.done = False
        self.handle: asyncio.TimerHandle | None = None

    def __lt__(self, other: _Timer) -> bool:
        return (self.due, self.seq) < (other.due, other.seq)

    def fire(self) -> None:
        if self.done:
            return
        self.cancel()
        self.callback()

    def cancel(self) -> None:
        self.done = True
        if self.handle is not None:
            self.handle.cancel()


class ManualClock(Clock):
    """A clock that stands still until told to move; for tests and replays of recorded traffic."""

    def __init__(self, start: datetime, tz: tzinfo | str = "Asia/Shanghai") -> None:
        super().__init__(tz)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start
        self._monotonic = 0.0
        self._listeners: list[Callable[[], None]] = []
        self._timers: list[_Timer] = []  # a heap by due time
        self._seq = itertools.count()
        self._compact_at = 256

    def call_later(self, seconds: float, callback: Callable[[], None]) -> Callable[[], None]:
        timer = _Timer(self._monotonic + max(seconds, 0.0), next(self._seq), callback)
        timer.handle = asyncio.get_running_loop().call_later(max(seconds, 0.0), timer.fire)
        heapq.heappush(self._timers, timer)
        if len(self._timers) > self._compact_at:  # timers the loop ran or that were cancelled
            self._timers = [t for t in self._timers if not t.done]
            heapq.heapify(self._timers)
            self._compact_at = max(256, 2 * len(self._timers))
        return timer.cancel

    def add_listener(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Timers driven by this clock (automation delays, time triggers) run due work when it moves."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _moved(self) -> None:
        while self._timers and (self._timers[0].done or self._timers[0].due <= self._monotonic):
            timer = heapq.heappop(self._timers)
            try:
                timer.fire()
            except Exception:
                _LOGGER.exception("Timer callback %r failed", timer.callback)
        for callback in list(self._listeners):
            callback()

    def now(self) -> datetime:
        return self._now.astimezone(self.tz)

    def utcnow(self) -> datetime:
        return self._now.astimezone(UTC)

    def monotonic(self) -> float:
        return self._monotonic

    def set(self, moment: datetime) -> None:
        """Step the wall clock (as NTP does); the monotonic clock does not move."""
        if moment.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = moment
        self._moved()

    def advance(self, delta: timedelta | float) -> datetime:
        """Time passes: both clocks move on (a negative delta steps the wall clock back only)."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        self._now += step
        self._monotonic += max(step.total_seconds(), 0.0)
        self._moved()
        return self.now()
