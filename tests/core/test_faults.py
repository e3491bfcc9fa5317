"""The hub's fault helpers: problems, spools that never drop silently, logs that do not flood."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from hub.core import ManualClock
from hub.core.faults import Problems, Spool, ThrottledLog

LOGGER = logging.getLogger("tests.faults")


def test_a_full_spool_drops_the_oldest_counts_them_and_says_so_once_a_spell(caplog) -> None:
    spool: Spool[int] = Spool("Audit", 3, LOGGER)
    for n in range(5):
        spool.put(n)
    assert list(spool.items) == [2, 3, 4] and spool.dropped == 2
    assert len([r for r in caplog.records if "spool full" in r.getMessage()]) == 1
    item = spool.take()
    spool.put_front(item)  # failed again: keeps its place
    assert [spool.take() for _ in range(len(spool))] == [2, 3, 4]
    for n in range(5):  # a new spell is reported again
        spool.put(n)
    assert len([r for r in caplog.records if "spool full" in r.getMessage()]) == 2 and spool.dropped == 4


def test_a_repeating_failure_is_one_line_per_interval_with_the_count(caplog) -> None:
    now = [0.0]
    log = ThrottledLog(LOGGER, interval=30, clock=lambda: now[0])
    caplog.set_level(logging.WARNING)
    for _ in range(1000):
        log.log("disk", logging.ERROR, "write failed: %s", "ENOSPC")
        now[0] += 0.01  # 10 s in all
    now[0] = 31
    log.log("disk", logging.ERROR, "write failed: %s", "ENOSPC")
    log.recovered("disk", "writes work again")
    messages = [r.getMessage() for r in caplog.records]
    assert messages == [
        "write failed: ENOSPC",
        "write failed: ENOSPC (999 more like this in the last 31 s)",
        "writes work again (0 repeat(s) of the failure not logged)",
    ]
    assert caplog.records[0].funcName == "test_a_repeating_failure_is_one_line_per_interval_with_the_count"


def test_problems_tell_their_listeners_of_each_change_once() -> None:
    problems, heard = Problems(), []
    problems.listen(heard.append)
    problems.raise_("disk_low", "12 MiB free")
    problems.raise_("disk_low", "12 MiB free")  # the same: no news
    problems.raise_("disk_low", "8 MiB free")
    problems.clear("disk_low")
    problems.clear("disk_low")
    assert heard == ["disk_low", "disk_low", "disk_low"] and problems.active == {}


def test_the_manual_clock_steps_the_wall_clock_without_moving_the_monotonic_one() -> None:
    clock = ManualClock(datetime(2026, 11, 24, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")))
    start = clock.monotonic()
    clock.set(clock.now() - timedelta(minutes=10))  # NTP steps back
    assert clock.monotonic() == start
    clock.advance(5)
    assert clock.monotonic() == pytest.approx(start + 5)
    clock.advance(-60)  # a step back by advance: the monotonic clock never goes back
    assert clock.monotonic() == pytest.approx(start + 5)
