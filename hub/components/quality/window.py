"""The period a run checks: whole plant-time days [first, last], as epoch seconds."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo


@dataclass(frozen=True, slots=True)
class Window:
    first: date
    last: date
    tz: tzinfo
    now_ts: int  # nothing after this is expected yet (a run over today)
    start_ts: int
    end_ts: int

    @classmethod
    def of(cls, first: date, last: date, tz: tzinfo, now_ts: int) -> Window:
        def midnight(day: date) -> int:
            return int(datetime.combine(day, time(), tzinfo=tz).timestamp())

        return cls(first, last, tz, now_ts, midnight(first), midnight(last + timedelta(days=1)))

    def at(self, day: date, moment: time) -> int:
        return int(datetime.combine(day, moment, tzinfo=self.tz).timestamp())

    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def holds(self, ts: int) -> bool:
        return self.start_ts <= ts < self.end_ts

    def label(self) -> str:
        return self.first.isoformat() if self.first == self.last else f"{self.first}..{self.last}"
