"""A report's period: a day, ISO week, month, quarter, year or custom range of plant-local days (pure)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

PeriodKind = Literal["day", "week", "month", "quarter", "year", "custom"]
MAX_DAYS = 731  # a custom range of at most two years (what the ledger keeps)


@dataclass(frozen=True, slots=True)
class Period:
    kind: str
    first: date  # first day, inclusive
    last: date  # last day, inclusive

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def bounds(self, tz: tzinfo) -> tuple[int, int]:
        """Epoch seconds of the plant's midnight starting `first` and the one after `last`."""
        start = datetime.combine(self.first, time(), tzinfo=tz)
        end = datetime.combine(self.last + timedelta(days=1), time(), tzinfo=tz)
        return int(start.timestamp()), int(end.timestamp())

    def label(self) -> str:
        if self.first == self.last:
            return self.first.isoformat()
        return f"{self.first.isoformat()} 至 {self.last.isoformat()}"

    def as_dict(self) -> dict[str, str]:
        return {"period": self.kind, "start": self.first.isoformat(), "end": self.last.isoformat()}


def month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def resolve(kind: str, day: date, start: date | None = None, end: date | None = None) -> Period:
    """The period of `kind` holding `day` (custom: `start`..`end`, both inclusive)."""
    if kind == "day":
        return Period(kind, day, day)
    if kind == "week":  # ISO week, Monday first
        first = day - timedelta(days=day.weekday())
        return Period(kind, first, first + timedelta(days=6))
    if kind == "month":
        return Period(kind, *month_of(day))
    if kind == "quarter":
        first = date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        return Period(kind, first, month_of(date(first.year, first.month + 2, 1))[1])
    if kind == "year":
        return Period(kind, date(day.year, 1, 1), date(day.year, 12, 31))
    if start is None or end is None:
        raise ValueError("a custom period needs start and end")
    if end < start:
        raise ValueError("the end is before the start")
    if (end - start).days >= MAX_DAYS:
        raise ValueError(f"at most {MAX_DAYS} days")
    return Period("custom", start, end)


def utc_offset(tz: tzinfo, first: date) -> int:
    """Seconds east of UTC at the period's first midnight: days are counted in SQL with this offset
    (plants in China have no daylight saving; a zone with it would misplace an hour on its switch days)."""
    offset = datetime.combine(first, time(), tzinfo=tz).utcoffset()
    return int(offset.total_seconds()) if offset else 0
