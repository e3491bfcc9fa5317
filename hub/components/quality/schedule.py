"""The daily run: at `daily_at` (plant time) yesterday is checked. The schedule is looked at every
`check_seconds` against the hub's wall clock, so a clock step (NTP, a test's ManualClock) is followed,
and a run that is due is made once per day."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any

from hub.core import Hub

from .config import QualityConfig
from .window import Window

_LOGGER = logging.getLogger(__name__)


def due_day(now: datetime, config: QualityConfig, done: date | None) -> date | None:
    """The day to check now, or None (pure): yesterday, once `daily_at` has passed today."""
    if now.time() < config.daily_at:
        return None
    day = now.date() - timedelta(days=1)
    return None if done is not None and day <= done else day


def already_done(now: datetime, config: QualityConfig) -> date | None:
    """At start, after today's time: today's run is not made up (yesterday was checked, or not, then)."""
    return now.date() - timedelta(days=1) if now.time() >= config.daily_at else None


async def async_schedule_loop(
    hub: Hub, config: QualityConfig, run: Callable[[Window], Awaitable[dict[str, Any]]], done: date | None
) -> None:
    """`done`: `already_done` at setup (taken then, not when this task first runs)."""
    while True:
        await hub.clock.async_sleep(config.check_seconds)
        now = hub.now()
        day = due_day(now, config, done)
        if day is None:
            continue
        done = day
        try:
            await run(Window.of(day, day, hub.clock.tz, int(now.timestamp())))
        except Exception:
            _LOGGER.exception("Daily data-quality run for %s failed", day)
