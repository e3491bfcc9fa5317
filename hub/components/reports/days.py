"""The plant's closed days kept in memory: each day's passages as the figures read them (follow-ups folded
in) and its grouped counts, so that a month's statistics, clean-transport ratio and scorecards read the
ledger only for today (docs/reports.md, "Closed days").

A kept day is what the ledger gives for it, and is forgotten when the ledger records something that
changes it: a passage recorded into it (a clock set back) or a correction, release, weight or cargo of
one of its passages (`passage_recorded` carries the amended passage's seq). The figures are still
computed from the passages each time, so trips that cross midnight pair as they always did. Memory, not
a table: one process owns the database, the days are read again from the ledger in seconds after a
restart, and a table would be a second copy of the ledger for its writer to keep in step.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from datetime import date, datetime, time, timedelta
from typing import Any

from hub.core import Event
from hub.core.const import EVENT_PASSAGE_RECORDED
from hub.core.events import PassageRecordedData

from .const import KIND_PASSAGE
from .counts import Scope
from .db import Reader
from .facts import BLOCK_DAYS, BRIEF_COLUMNS, BRIEF_FOLLOWUPS, TRIP_LOOKBACK_S, async_days
from .period import Period

DAY = 86400
# This month and the last (held from the start, about 62 days) and one more month looked at.
KEEP_DAYS = 100
# Older days are read each time they are asked: a month a year back is rare, and retention (24 months at
# least) never prunes a kept day behind its back (pruning announces nothing).
KEEP_AGE_DAYS = 366
# Columns that repeat from passage to passage (gate, lane, direction, plate ... actor): kept once each.
SHARED = slice(BRIEF_COLUMNS.index("gate"), len(BRIEF_COLUMNS))


class KeptDay:
    """One closed day's passages: each a (keys, values) pair, the keys shared by passages alike."""

    __slots__ = ("high", "low", "rows")

    def __init__(self, rows: list[tuple[tuple[str, ...], tuple[Any, ...]]]) -> None:
        self.rows = rows
        seqs: list[int] = [values[0] for _, values in rows]  # BRIEF_COLUMNS starts with seq
        self.low, self.high = (min(seqs), max(seqs)) if seqs else (0, -1)  # an empty day: no seq

    def passages(self) -> list[dict[str, Any]]:
        return [dict(zip(keys, values)) for keys, values in self.rows]  # noqa: B905 (pairs as made)


class ClosedDays:
    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self._passages: OrderedDict[int, KeptDay] = OrderedDict()  # day start -> its passages
        self._counts: OrderedDict[tuple[int, int], list[tuple[Any, ...]]] = OrderedDict()
        self._shared: dict[Any, Any] = {}  # one object per repeated value and per set of keys
        self._reading = 0
        self._amended: list[int] = []  # seqs amended while a day was being read: it is not kept
        self._recorded: list[int] = []  # times of passages recorded while a day was being read
        self._warming: asyncio.Task[None] | None = None

    def async_start(self) -> Callable[[], None]:
        return self.reader.hub.bus.async_listen(EVENT_PASSAGE_RECORDED, self._on_recorded)

    # ----- what a report reads ---------------------------------------------------------------------
    async def async_passages(self, start_ts: int, end_ts: int) -> AsyncIterator[list[dict[str, Any]]]:
        """The plant's passages of [start_ts, end_ts) as `facts.async_passages` gives them (brief), a day
        at a time: kept days from memory, the rest from the ledger (and kept when closed)."""
        await self._async_warmed()
        day = start_ts
        while day < end_ts:
            kept = self._kept_passages(day, end_ts)
            if kept is not None:
                found = kept.passages()
                if found:
                    yield found
                await asyncio.sleep(0)  # a month from memory is a few tenths of a second: lanes go first
                day += DAY
                continue
            stop = day + DAY  # a run of days not kept, read in one go
            while stop < min(end_ts, day + BLOCK_DAYS * DAY) and self._kept_passages(stop, end_ts) is None:
                stop += DAY
            self._reading += 1
            try:
                async for first, last, found in async_days(self.reader, day, min(stop, end_ts)):
                    if self._keepable(first, last):
                        self._keep(first, found)
                    if found:
                        yield found
            finally:
                self._done_reading()
            day = stop

    async def async_count_rows(self, scope: Scope) -> list[tuple[Any, ...]]:
        """The rows of the scope's grouped count (counts.py), a day at a time: kept days from memory, the
        rest from the ledger (the whole plant's, kept when closed); a gate's or lane's are the plant's
        rows of that gate or lane, since both are among what the count groups by."""
        await self._async_warmed()
        rows: list[tuple[Any, ...]] = []
        for day in range(scope.start, scope.end, DAY):
            last = min(day + DAY, scope.end)
            key = (day, scope.offset)
            kept = self._counts.get(key) if self._keepable(day, last) else None
            if kept is None:
                self._reading += 1
                try:
                    window = scope.plant_window(day, last)
                    kept = [tuple(r) for r in await window.reader.raw_rows(window.sql(), window.args)]
                    if self._keepable(day, last) and not any(day <= ts < last for ts in self._recorded):
                        self._counts[key] = kept
                        _trim(self._counts)
                finally:
                    self._done_reading()
            else:
                self._counts.move_to_end(key)
            if scope.gate is None and scope.lane is None:
                rows.extend(kept)
            else:
                rows.extend(r for r in kept if scope.holds_row(r))
        return rows

    def async_warm(self) -> None:
        """Keep the closed days of this month, then those of the last (what the month tabs and the big
        screen ask); what is asked meanwhile waits for this month's rather than reading them again."""
        hub = self.reader.hub
        today = hub.now().date()
        first = today.replace(day=1)

        async def warm() -> None:
            await self._async_keep(first, today - timedelta(days=1))
            earlier = self._async_keep((first - timedelta(days=1)).replace(day=1), first - timedelta(days=1))
            hub.async_create_task(earlier, name="reports closed days of last month")

        self._warming = hub.async_create_task(warm(), name="reports closed days")

    async def _async_warmed(self) -> None:
        warming = self._warming
        if warming is not None and not warming.done() and asyncio.current_task() is not warming:
            await asyncio.wait([warming])

    async def _async_keep(self, first: date, last: date) -> None:
        scope = Scope(self.reader, Period("custom", first, last), None, None)  # none on the 1st
        await self.async_count_rows(scope)
        async for _ in self.async_passages(scope.start - TRIP_LOOKBACK_S, scope.end):
            pass

    # ----- keeping and forgetting --------------------------------------------------------------------
    def _today(self) -> int:
        hub = self.reader.hub
        return int(datetime.combine(hub.now().date(), time(), tzinfo=hub.clock.tz).timestamp())

    def _keepable(self, start: int, end: int) -> bool:
        """A whole day before today and within KEEP_AGE_DAYS."""
        today = self._today()
        return end - start == DAY and end <= today and start >= today - KEEP_AGE_DAYS * DAY

    def _kept_passages(self, day: int, end_ts: int) -> KeptDay | None:
        kept = self._passages.get(day)
        if kept is None or not self._keepable(day, min(day + DAY, end_ts)):
            return None
        self._passages.move_to_end(day)
        return kept

    def _keep(self, day: int, passages: list[dict[str, Any]]) -> None:
        """Keep a day just read (before the pairing adds its own keys), unless it changed meanwhile."""
        if any(day <= ts < day + DAY for ts in self._recorded):
            return
        shared = self._shared.setdefault
        rows = []
        for p in passages:
            keys = tuple(p)
            values = tuple(p.values())
            repeated = [shared(v, v) for v in values[SHARED]]
            rows.append((shared(keys, keys), (*values[: SHARED.start], *repeated, *values[SHARED.stop :])))
        kept = KeptDay(rows)
        if any(kept.low <= seq <= kept.high for seq in self._amended):
            return
        self._passages[day] = kept
        _trim(self._passages)

    def _done_reading(self) -> None:
        self._reading -= 1
        if not self._reading:
            self._amended.clear()
            self._recorded.clear()

    def _on_recorded(self, event: Event[PassageRecordedData]) -> None:
        row = event.data
        if row["kind"] == KIND_PASSAGE:
            ts = row["recorded_ts"]  # today's, unless the clock was set back: then a kept day changed
            for kept in [k for k in self._passages if k <= ts < k + DAY]:
                del self._passages[kept]
            for key in [k for k in self._counts if k[0] <= ts < k[0] + DAY]:
                del self._counts[key]
            if self._reading:
                self._recorded.append(ts)
        elif row["kind"] in BRIEF_FOLLOWUPS and row["ref_seq"] is not None:
            seq = row["ref_seq"]
            for day in [k for k, d in self._passages.items() if d.low <= seq <= d.high]:
                del self._passages[day]  # seqs grow with time, so this is the amended passage's day
            if self._reading:
                self._amended.append(seq)


def _trim(kept: OrderedDict[Any, Any]) -> None:
    while len(kept) > KEEP_DAYS:
        kept.popitem(last=False)
