"""Time as the hub sees it: `hub.now()` goes through a clock so that tests and replays control it.

Two clocks: the wall clock (`now`) is what gets recorded; NTP may step it back and forth by minutes.
Intervals (how old a read is, how long since a passage was seen) use `monotonic`, which never steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo


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


class ManualClock(Clock):
    """A clock that stands still until told to move; for tests and replays of recorded traffic."""

    def __init__(self, start: datetime, tz: tzinfo | str = "Asia/Shanghai") -> None:
        super().__init__(tz)
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start
        self._monotonic = 0.0
        self._listeners: list[Callable[[], None]] = []

    def add_listener(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Timers driven by this clock (automation delays, time triggers) run due work when it moves."""
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback) if callback in self._listeners else None

    def _moved(self) -> None:
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
