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

    # One grouped pass gives the totals and the entries by stage, class and fuel (five passes before).
    found = await rows(
        "SELECT direction, decision, emission_stage, vehicle_class, fuel, count(*) FROM ledger_record "
        "WHERE kind = ? AND recorded_ts >= ? AND recorded_ts < ? GROUP BY 1, 2, 3, 4, 5",
        [KIND_PASSAGE, *window],
    )
    totals: dict[str, int] = {"entries": 0, "exits": 0, "allowed": 0, "denied": 0, "review": 0}
    entries: dict[str, dict[Any, int]] = {"stage": {}, "class": {}, "fuel": {}}
    for direction, decision, stage, vclass, fuel, count in found:
        n = int(count)
        totals["entries" if direction == "in" else "exits"] += n
        totals[{"allow": "allowed", "deny": "denied"}.get(decision, "review")] += n
        if direction == "in":
            for name, key in (("stage", stage), ("class", vclass), ("fuel", fuel)):
                entries[name][key] = entries[name].get(key, 0) + n
    released = await rows(
        "SELECT count(DISTINCT passage_id) FROM ledger_record "
        "WHERE kind = 'release' AND recorded_ts >= ? AND recorded_ts < ?",
        window,
    )

    def grouped(name: str) -> dict[str, int]:
        # In the code's order, NULL first, as SQLite grouped them (and a NULL and an empty code both
        # show as "unknown", the later one standing).
        ordered = sorted(entries[name].items(), key=lambda item: (item[0] is not None, item[0] or ""))
        return {str(key or "unknown"): count for key, count in ordered}

    return {
        "date": day.isoformat(),
        **totals,
        "released": int(released[0][0]),
        "entries_by_stage": grouped("stage"),
        "entries_by_class": grouped("class"),
        "entries_by_fuel": grouped("fuel"),
    }
