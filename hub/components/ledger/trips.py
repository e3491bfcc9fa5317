"""Trips (车次): each entry paired with the same vehicle's next exit; the unpaired are flagged."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .const import KIND_PASSAGE
from .query import async_merge_followups
from .rows import SELECT_LIST, record_dict
from .schemas import TripQuery
from .sql import for_dialect

FLAG_OVERDUE = "overdue"  # inside longer than the configured time, no exit seen
FLAG_NO_EXIT = "entry_without_exit"  # entered again before an exit was seen
FLAG_NO_ENTRY = "exit_without_entry"


def _went_through(p: dict[str, Any]) -> bool:
    return p.get("decision") == "allow" or bool(p.get("released"))


def _trip(entry: dict[str, Any] | None, exit_: dict[str, Any] | None, flag: str | None) -> dict[str, Any]:
    first = entry or exit_
    assert first is not None
    trip: dict[str, Any] = {
        "plate": first["plate"],
        "entry": _brief(entry),
        "exit": _brief(exit_),
        "flag": flag,
        "duration_s": exit_["recorded_ts"] - entry["recorded_ts"] if entry and exit_ else None,
    }
    weights: list[int] = [p["weight_kg"] for p in (entry, exit_) if p and p.get("weight_kg") is not None]
    if len(weights) == 2:
        trip.update(gross_kg=max(weights), tare_kg=min(weights), net_kg=max(weights) - min(weights))
    return trip


def _brief(p: dict[str, Any] | None) -> dict[str, Any] | None:
    if p is None:
        return None
    keys = ("seq", "passage_id", "recorded_at", "recorded_ts", "gate", "lane", "weight_kg", "cargo")
    return {k: p.get(k) for k in keys}


def pair_trips(passages: Iterable[dict[str, Any]], now_ts: int, open_hours: float) -> list[dict[str, Any]]:
    """Pure pairing over passages in time order (as they stand after corrections)."""
    trips: list[dict[str, Any]] = []
    inside: dict[str, dict[str, Any]] = {}
    for p in sorted(passages, key=lambda p: (p["recorded_ts"], p["seq"])):
        plate = p.get("plate")
        if not plate or not _went_through(p):
            continue  # machinery without plate cannot be paired; a refused truck did not pass
        if p["direction"] == "in":
            if plate in inside:
                trips.append(_trip(inside[plate], None, FLAG_NO_EXIT))
            inside[plate] = p
        elif plate in inside:
            trips.append(_trip(inside.pop(plate), p, None))
        else:
            trips.append(_trip(None, p, FLAG_NO_ENTRY))
    for entry in inside.values():
        overdue = now_ts - entry["recorded_ts"] > open_hours * 3600
        trips.append(_trip(entry, None, FLAG_OVERDUE if overdue else None))
    trips.sort(key=lambda t: (t["entry"] or t["exit"])["recorded_ts"])
    return trips


async def async_trips(
    conn: Any, dialect: str, q: TripQuery, now_ts: int, open_hours: float
) -> dict[str, Any]:
    start, end = int(q.start.timestamp()), int(q.end.timestamp())
    # Look back one open-time so that an exit early in the period finds its entry.
    lookback = start - int(open_hours * 3600)
    where, args = "kind = ? AND recorded_ts >= ? AND recorded_ts < ?", [KIND_PASSAGE, lookback, end]
    if q.plate:
        # One plate's trips pair only its own passages (as read or corrected): an index lookup, not
        # every passage of the period (a vehicle's 90 days on a big plant's ledger took 20 s).
        where += (
            " AND passage_id IN (SELECT c.passage_id FROM ledger_record c "
            "WHERE c.plate = ? AND c.kind IN ('passage', 'correction'))"
        )
        args.append(q.plate)
    _, rows = await conn.execute_query(
        for_dialect(dialect, f"SELECT {SELECT_LIST} FROM ledger_record WHERE {where} ORDER BY seq"), args
    )
    passages = [record_dict(r) for r in rows]
    await async_merge_followups(conn, dialect, passages)
    trips = [
        t
        for t in pair_trips(passages, min(now_ts, end), open_hours)
        if any(start <= p["recorded_ts"] < end for p in (t["entry"], t["exit"]) if p)
        and (not q.plate or t["plate"] == q.plate)
        and (not q.flagged_only or t["flag"])
    ]
    first = (q.page - 1) * q.page_size
    return {
        "total": len(trips),
        "page": q.page,
        "page_size": q.page_size,
        "items": trips[first : first + q.page_size],
    }
