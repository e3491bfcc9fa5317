"""Daily statistics of the ledger: what the platform's nightly report and the plant counters show."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from .const import KIND_PASSAGE
from .sql import for_dialect


def day_bounds(day: date, tz: tzinfo) -> tuple[int, int]:
    """Epoch seconds of the plant's local midnight starting `day` and the next one."""
    start = datetime.combine(day, time(), tzinfo=tz)
    return int(start.timestamp()), int((start + timedelta(days=1)).timestamp())


async def async_daily_stats(conn: Any, dialect: str, day: date, tz: tzinfo) -> dict[str, Any]:
    """Counts of one local day: entries, exits, denied, released, review, by emission stage and class."""
    start, end = day_bounds(day, tz)
    window = [start, end]

    async def rows(sql: str, args: list[Any]) -> list[Any]:
        _, result = await conn.execute_query(for_dialect(dialect, sql), args)
        return result

    passages = "FROM ledger_record WHERE kind = ? AND recorded_ts >= ? AND recorded_ts < ?"
    totals: dict[str, int] = {"entries": 0, "exits": 0, "allowed": 0, "denied": 0, "review": 0}
    by_outcome = f"SELECT direction, decision, count(*) {passages} GROUP BY direction, decision"
    for direction, decision, count in await rows(by_outcome, [KIND_PASSAGE, *window]):
        totals["entries" if direction == "in" else "exits"] += int(count)
        key = {"allow": "allowed", "deny": "denied"}.get(decision, "review")
        totals[key] += int(count)
    released = await rows(
        "SELECT count(DISTINCT passage_id) FROM ledger_record "
        "WHERE kind = 'release' AND recorded_ts >= ? AND recorded_ts < ?",
        window,
    )

    async def grouped(column: str) -> dict[str, int]:
        found = await rows(
            f"SELECT {column}, count(*) {passages} AND direction = 'in' GROUP BY {column}",
            [KIND_PASSAGE, *window],
        )
        return {str(key or "unknown"): int(count) for key, count in found}

    return {
        "date": day.isoformat(),
        **totals,
        "released": int(released[0][0]),
        "entries_by_stage": await grouped("emission_stage"),
        "entries_by_class": await grouped("vehicle_class"),
        "entries_by_fuel": await grouped("fuel"),
    }
