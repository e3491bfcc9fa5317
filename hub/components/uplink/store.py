"""The uplink's bookkeeping in its own tables, written in short transactions (never across a request)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from .const import PARKED_SHOWN
from .models import UplinkCursor, UplinkDay, UplinkParked

DAY_FIELDS = ("due", "sent", "acknowledged", "on_time", "rejected", "duplicates")
PARKED_FIELDS = ("seq", "record_id", "passage_id", "kind", "day", "gate", "plate", "reason", "source",
                 "parked_at")  # fmt: skip


def standin_seq(record_id: str) -> int:
    """A parked record that is no ledger row (register record, alert switch) has no seq; the table wants
    one, unique per platform: a negative number drawn from its record id stands in (shown as none)."""
    return -1 - int.from_bytes(hashlib.sha256(record_id.encode()).digest()[:7], "big")


@dataclass(slots=True)
class DayCounts:
    due: int = 0
    sent: int = 0
    acknowledged: int = 0
    on_time: int = 0
    rejected: int = 0
    duplicates: int = 0
    stats_status: str | None = None
    stats_message: str | None = None
    stats_at: str | None = None

    @classmethod
    def of(cls, row: UplinkDay) -> DayCounts:
        stats = {name: getattr(row, name) for name in ("stats_status", "stats_message", "stats_at")}
        return cls(**{name: getattr(row, name) for name in DAY_FIELDS}, **stats)

    @property
    def pending(self) -> int:
        return max(0, self.due - self.acknowledged - self.rejected)

    def as_dict(self, day: str) -> dict[str, Any]:
        rate = round(100.0 * self.acknowledged / self.due, 2) if self.due else None
        on_time = round(100.0 * self.on_time / self.due, 2) if self.due else None
        return {
            "date": day, "due": self.due, "sent": self.sent, "acknowledged": self.acknowledged,
            "rejected": self.rejected, "pending": self.pending, "duplicates": self.duplicates,
            "upload_rate": rate, "on_time_rate": on_time,
            "daily_report": {"status": self.stats_status, "message": self.stats_message, "at": self.stats_at},
        }  # fmt: skip


@dataclass(slots=True)
class Places:
    """Every stream's place as stored, read once at start: each stream takes its own fields."""

    acked_seq: int = 0
    acked_above: set[int] = field(default_factory=set)
    sent_seq: int = 0
    scanned_seq: int = 0
    register_seq: int | None = None  # None: not yet placed in the register's change feed
    register_ts: int = -1
    control_id: str | None = None
    created_day: str = ""


@dataclass(slots=True)
class Progress:
    """What one step changed, saved in one transaction."""

    days: dict[str, Counter[str]] = field(default_factory=dict)
    parked: list[dict[str, Any]] = field(default_factory=list)
    unparked: list[tuple[int | None, str]] = field(default_factory=list)  # (seq, record_id)

    def add(self, day: str, name: str, n: int = 1) -> None:
        self.days.setdefault(day, Counter())[name] += n

    def park(self, record_id: str, kind: str, day: str, reason: str, local: bool, **where: Any) -> None:
        """A record parked with its reason; `where`: its seq, passage_id, gate and plate, if it has them."""
        self.parked.append({
            "seq": None, "passage_id": None, "gate": None, "plate": None, **where, "record_id": record_id,
            "kind": kind, "day": day, "reason": reason[:500], "source": "mapping" if local else "platform",
        })  # fmt: skip

    def __bool__(self) -> bool:
        return bool(self.days or self.parked or self.unparked)


class LinkStore:
    def __init__(self, platform: str, now: Callable[[], datetime]) -> None:
        self.platform, self.now = platform, now  # the hub's clock, for the rows' times
        self.lock = asyncio.Lock()
        self.days: dict[str, DayCounts] = {}
        self.parked_total = 0
        self.parked_recent: list[dict[str, Any]] = []  # the latest, for the entities' attributes

    async def async_load(self) -> Places:
        now = self.now()
        today, now_iso = now.date().isoformat(), now.isoformat()
        row = await UplinkCursor.get_or_none(platform=self.platform)
        if row is None:
            row = await UplinkCursor.create(platform=self.platform, created_day=today, updated_at=now_iso)
        for day_row in await UplinkDay.filter(platform=self.platform):
            self.days[day_row.day] = DayCounts.of(day_row)
        await self._async_refresh_parked()
        return Places(
            acked_seq=row.acked_seq, acked_above=set(json.loads(row.acked_above or "[]")),
            sent_seq=row.sent_seq, scanned_seq=row.scanned_seq, register_seq=row.register_seq,
            register_ts=row.register_ts, control_id=row.control_id, created_day=row.created_day,
        )  # fmt: skip

    async def async_save(self, progress: Progress, **place: Any) -> None:
        """Save a stream's place (its cursor fields: `acked_seq=...`) and its progress together."""
        now_iso = self.now().isoformat()
        values: dict[str, Any] = {"updated_at": now_iso}
        for name, value in place.items():
            values[name] = json.dumps(sorted(value)) if isinstance(value, set) else value
        async with self.lock, in_transaction() as conn:
            await UplinkCursor.filter(platform=self.platform).using_db(conn).update(**values)
            for day, counts in progress.days.items():
                if day not in self.days:
                    await UplinkDay.create(platform=self.platform, day=day, using_db=conn)
                    self.days[day] = DayCounts()
                updates = {name: F(name) + n for name, n in counts.items() if n}
                if updates:
                    await UplinkDay.filter(platform=self.platform, day=day).using_db(conn).update(**updates)
            for seq, record_id in progress.unparked:
                query = UplinkParked.filter(platform=self.platform, resolved_at=None, record_id=record_id)
                await (
                    (query.filter(seq=seq) if seq is not None else query)
                    .using_db(conn)
                    .update(resolved_at=now_iso)
                )
            for parked in progress.parked:
                existing = UplinkParked.filter(platform=self.platform, record_id=parked["record_id"])
                if parked.get("seq") is not None:
                    existing = existing.filter(seq=parked["seq"])
                if await existing.using_db(conn).exists():
                    await existing.using_db(conn).update(
                        reason=parked["reason"], parked_at=now_iso, resolved_at=None
                    )
                else:
                    seq = parked.get("seq")
                    await UplinkParked.create(
                        platform=self.platform, parked_at=now_iso, using_db=conn,
                        **(parked | {"seq": standin_seq(parked["record_id"]) if seq is None else seq}),
                    )  # fmt: skip
        for day, counts in progress.days.items():
            current = self.days[day]
            for name, n in counts.items():
                setattr(current, name, getattr(current, name) + n)
        if progress.parked or progress.unparked:
            await self._async_refresh_parked()

    async def _async_refresh_parked(self) -> None:
        self.parked_total = await self.async_parked_count()
        self.parked_recent = [
            {k: p[k] for k in ("record_id", "kind", "day", "gate", "plate", "reason")}
            for p in await self.async_parked(PARKED_SHOWN)
        ]

    def figures(self, day: str) -> dict[str, Any]:
        """The day's figures and everything still pending, as the entities show them."""
        figures = self.days.get(day, DayCounts()).as_dict(day)
        figures["pending_total"] = sum(c.pending for c in self.days.values())
        return figures

    async def async_set_report(self, day: str, status: str, message: str | None) -> None:
        at = self.now().isoformat()
        async with self.lock:
            if day not in self.days:
                await UplinkDay.create(platform=self.platform, day=day)
                self.days[day] = DayCounts()
            await UplinkDay.filter(platform=self.platform, day=day).update(
                stats_status=status, stats_message=(message or "")[:500], stats_at=at
            )
        counts = self.days[day]
        counts.stats_status, counts.stats_message, counts.stats_at = status, message, at

    async def async_parked(self, limit: int = 100, day: str | None = None) -> list[dict[str, Any]]:
        query = UplinkParked.filter(platform=self.platform, resolved_at=None)
        query = query.filter(day=day) if day else query
        return list(await query.order_by("-id").limit(limit).values(*PARKED_FIELDS))

    async def async_parked_count(self) -> int:
        return await UplinkParked.filter(platform=self.platform, resolved_at=None).count()

    async def async_parked_ids(self, seqs: list[int]) -> set[int]:
        if not seqs:
            return set()
        rows = await UplinkParked.filter(platform=self.platform, resolved_at=None, seq__in=seqs).values_list(
            "seq", flat=True
        )
        # flat=True gives the values themselves; tortoise's stubs type them as tuples.
        return {int(s) for s in rows}  # type: ignore[call-overload]  # see above
