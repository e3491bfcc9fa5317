"""Statistics of a period per plant, gate or lane (spec "Inspection", issue 16): counts by one grouped
SQL pass (counts.py), tonnage, trips and dwell times from the period's passages as they stand now."""

from __future__ import annotations

import statistics as stats_
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from .counts import Scope, async_counts, stage_key
from .db import day_of
from .facts import async_pair, went_through
from .period import Period

if TYPE_CHECKING:
    from .days import ClosedDays

RELEASE_KEYS = (
    "seq",
    "passage_id",
    "recorded_at",
    "plate",
    "gate",
    "lane",
    "reason_code",
    "released_by",
    "release_reason",
    "approver",
    "released_at",
)
TONNES_OF = {"in": "tonnes_in", "out": "tonnes_out"}


async def async_movements(scope: Scope, days_kept: ClosedDays) -> dict[str, Any]:
    """Tonnage by cargo and stage, trips and dwell times, releases and corrections: the period's passages
    streamed through the trip pairing, only sums kept. Trips pair across every lane (a truck enters by
    one and leaves by another); a gate's or lane's figures take the passages recorded there, and the
    trips that began there."""
    tonnage: dict[str, Any] = {"in": 0.0, "out": 0.0, "by_cargo": {}, "by_stage": {}, "without_weight": 0}
    days: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"tonnes_in": 0.0, "tonnes_out": 0.0, "released": 0, "trips": 0}
    )
    releases: list[dict[str, Any]] = []
    corrections: list[dict[str, Any]] = []
    dwell: list[float] = []
    counted: dict[str, Any] = {"count": 0, "complete": 0, "entry_without_exit": 0, "exit_without_entry": 0}

    names: dict[int, str] = {}

    def day(ts: int) -> str:
        number = (ts + scope.offset) // 86400
        name = names.get(number)
        if name is None:
            name = names[number] = day_of(number).isoformat()
        return name

    start, end, everywhere, holds = (
        scope.start,
        scope.end,
        scope.gate is None and scope.lane is None,
        scope.holds,
    )

    def on_passage(p: dict[str, Any]) -> None:
        if p["recorded_ts"] < start or not (everywhere or holds(p)):
            return
        if p.get("released"):
            days[day(p["recorded_ts"])]["released"] += 1
            releases.append({k: p.get(k) for k in RELEASE_KEYS})
        if p.get("corrected_by"):
            corrections.append(
                {
                    "seq": p["seq"],
                    "recorded_at": p["recorded_at"],
                    "from": p["original_plate"],
                    "to": p["plate"],
                    "corrected_by": p["corrected_by"],
                    "reason": p.get("correction_reason"),
                }
            )
        tonnes = p.get("tonnes")
        if tonnes is None:
            tonnage["without_weight"] += went_through(p) and p["vehicle_class"] == "transport"
            return
        direction = p["direction"]
        tonnage[direction] += tonnes
        days[day(p["recorded_ts"])][TONNES_OF[direction]] += tonnes
        cargo = (p.get("cargo") or {}).get("cargo") or "未填写"
        for key, name in (("by_cargo", cargo), ("by_stage", stage_key(p["emission_stage"], p["fuel"]))):
            table = tonnage[key]
            bucket = table.get(name) or table.setdefault(name, {"in": 0.0, "out": 0.0})
            bucket[direction] += tonnes

    def on_trip(t: dict[str, Any]) -> None:
        first = t["entry"] or t["exit"]
        if not start <= first["recorded_ts"] < end or not (everywhere or holds(first)):
            return
        counted["count"] += 1
        days[day(first["recorded_ts"])]["trips"] += 1
        if t["dwell_s"] is not None:
            counted["complete"] += 1
            dwell.append(t["dwell_s"] / 60)
        else:
            counted["entry_without_exit" if t["entry"] else "exit_without_entry"] += 1

    await async_pair(days_kept, scope.start, scope.end, on_passage, on_trip)
    counted.update(
        dwell_avg_min=round(sum(dwell) / len(dwell), 1) if dwell else None,
        dwell_median_min=round(stats_.median(dwell), 1) if dwell else None,
        dwell_max_min=round(max(dwell), 1) if dwell else None,
    )
    _round(tonnage)
    releases.sort(key=lambda r: r["seq"])
    corrections.sort(key=lambda r: r["seq"])
    return {
        "tonnage": tonnage,
        "trips": counted,
        "days": dict(days),
        "releases": releases,
        "corrections": corrections,
    }


def _round(node: Any) -> None:
    for key, value in node.items():
        if isinstance(value, float):
            node[key] = round(value, 3)
        elif isinstance(value, dict):
            _round(value)


async def async_statistics(
    days_kept: ClosedDays, period: Period, gate: str | None, lane: str | None, alert_min_stage: dict[str, str]
) -> dict[str, Any]:
    scope = Scope(days_kept.reader, period, gate, lane)
    counts = await async_counts(scope, alert_min_stage, await days_kept.async_count_rows(scope))
    moves = await async_movements(scope, days_kept)
    days = []
    for day in period.days:
        key = day.isoformat()
        row: dict[str, Any] = {"date": key, "in": 0, "out": 0, "allow": 0, "deny": 0, "review": 0}
        row.update(counts["days"].get(key, {}))
        row.update({"tonnes_in": 0.0, "tonnes_out": 0.0, "released": 0, "trips": 0})
        row.update(moves["days"].get(key, {}))
        row["tonnes_in"], row["tonnes_out"] = round(row["tonnes_in"], 3), round(row["tonnes_out"], 3)
        days.append(row)
    counts["totals"]["released"] = len(moves["releases"])
    counts["totals"]["corrections"] = len(moves["corrections"])
    return {
        "report": "statistics",
        **period.as_dict(),
        "gate": gate,
        "lane": lane,
        **{k: v for k, v in counts.items() if k != "days"},
        "tonnage": moves["tonnage"],
        "trips": moves["trips"],
        "releases": moves["releases"],
        "corrections": moves["corrections"],
        "days": days,
    }
