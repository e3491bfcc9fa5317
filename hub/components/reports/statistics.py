"""Statistics of a period per plant, gate or lane (spec "Inspection", issue 16): counts by SQL aggregates,
tonnage, trips and dwell times from the period's passages as they stand now."""

from __future__ import annotations

import statistics as stats_
from collections import defaultdict
from typing import Any

from .const import FUEL_FAMILY, KIND_PASSAGE
from .db import Reader, day_of
from .facts import async_pair, went_through
from .period import Period, utc_offset

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
TRIP_LOOKBACK_S = 24 * 3600  # an exit early in the period finds its entry of the day before


def stage_key(stage: str | None, fuel: str | None) -> str:
    """`5/diesel`, `5/gas`, `D/electric`: the stage with diesel and gas apart."""
    return f"{stage or '?'}/{FUEL_FAMILY.get(fuel or '', 'other')}"


def usable_in_alert(stage: str | None, min_stage: str) -> bool:
    """Electric is always usable; a stage code at or above the configured minimum is."""
    if stage == "D":
        return True
    return bool(stage and stage.isdigit() and min_stage.isdigit() and int(stage) >= int(min_stage))


class Scope:
    """The WHERE of a period's passages, for a plant, a gate or a lane."""

    def __init__(self, reader: Reader, period: Period, gate: str | None, lane: str | None) -> None:
        tz = reader.hub.clock.tz
        self.reader = reader
        self.start, self.end = period.bounds(tz)
        self.offset = utc_offset(tz, period.first)
        self.gate, self.lane = gate, lane
        self.where = "kind = ? AND recorded_ts >= ? AND recorded_ts < ?"
        self.args: list[Any] = [KIND_PASSAGE, self.start, self.end]
        for column, value in (("gate", gate), ("lane", lane)):
            if value is not None:
                self.where += f" AND {column} = ?"
                self.args.append(value)

    async def group(self, columns: str, extra: str = "") -> list[tuple[Any, ...]]:
        return await self.reader.rows(
            f"SELECT {columns}, count(*) FROM ledger_record WHERE {self.where}{extra} GROUP BY {columns}",
            self.args,
        )

    def holds(self, p: dict[str, Any]) -> bool:
        """The passage was recorded at the gate (and lane) of the scope."""
        return (self.gate is None or p["gate"] == self.gate) and (self.lane is None or p["lane"] == self.lane)

    @property
    def day(self) -> str:
        return f"(recorded_ts + {int(self.offset)}) / 86400"


def _inout() -> dict[str, int]:
    return {"in": 0, "out": 0}


async def async_counts(scope: Scope, alert_min_stage: dict[str, str]) -> dict[str, Any]:
    """Everything countable in SQL: by day, direction, decision, class, stage, fuel, type, colour, lane."""
    r = scope.reader
    out: dict[str, Any] = {}
    days: dict[str, dict[str, Any]] = {}
    totals = {"in": 0, "out": 0, "allow": 0, "deny": 0, "review": 0}
    by_class: dict[str, dict[str, int]] = defaultdict(_inout)
    by_stage: dict[str, dict[str, int]] = defaultdict(_inout)
    by_fuel: dict[str, dict[str, int]] = defaultdict(_inout)
    by_colour: dict[str, dict[str, int]] = defaultdict(_inout)
    lanes: dict[tuple[str, str], dict[str, int]] = {}
    # One scan for every breakdown of the columns (a plant has few combinations of them a day).
    vtype = r.json_text("data", "vehicle", "vehicle_type")
    by_type: dict[str, dict[str, int]] = defaultdict(_inout)
    found = await scope.group(
        f"{scope.day}, direction, decision, vehicle_class, emission_stage, fuel, colour, gate, lane, {vtype}"
    )
    for day, direction, decision, vclass, stage, fuel, colour, gate, lane, name, count in found:
        n = int(count)
        d = days.setdefault(day_of(day).isoformat(), {"in": 0, "out": 0, "allow": 0, "deny": 0, "review": 0})
        item = lanes.setdefault((gate, lane), {"in": 0, "out": 0, "allow": 0, "deny": 0, "review": 0})
        for bucket in (d, totals, item):
            bucket[direction] += n
            bucket[decision] += n
        by_class[vclass or "unknown"][direction] += n
        by_stage[stage_key(stage, fuel)][direction] += n
        by_fuel[fuel or "?"][direction] += n
        by_colour[colour or "unknown"][direction] += n
        by_type[str(name or "?")][direction] += n
    out.update(totals=totals, by_class=dict(by_class), days=days)
    reason_text = r.json_text("data", "reason_text")
    denied = await r.rows(
        f"SELECT reason_code, min({reason_text}), count(*) FROM ledger_record WHERE {scope.where} "
        "AND decision = 'deny' GROUP BY reason_code ORDER BY count(*) DESC, reason_code",
        scope.args,
    )
    out.update(
        by_stage=dict(sorted(by_stage.items())),
        by_fuel=dict(sorted(by_fuel.items())),
        by_vehicle_type=dict(sorted(by_type.items())),
        by_colour=dict(sorted(by_colour.items())),
        by_lane=[{"gate": g, "lane": ln, **v} for (g, ln), v in sorted(lanes.items())],
        denied_by_reason=[{"reason_code": c or "", "reason_text": t, "count": int(n)} for c, t, n in denied],
    )
    out["unregistered"] = await _async_unregistered(scope)
    out["in_plant"], out["machinery"] = await _async_in_use(scope, alert_min_stage)
    return out


async def _async_unregistered(scope: Scope) -> dict[str, Any]:
    # Canonical JSON has no spaces, so the snapshot's flag is matched as text on both databases.
    rows = await scope.reader.rows(
        f"SELECT plate, count(*), min(recorded_at), max(recorded_at), "
        f"sum(CASE WHEN decision = 'deny' THEN 1 ELSE 0 END) FROM ledger_record WHERE {scope.where} "
        "AND (reason_code = 'unregistered' OR data LIKE '%\"registered\":false%') "
        "GROUP BY plate ORDER BY plate",
        scope.args,
    )
    vehicles = [
        {"plate": p, "passages": int(n), "first": a, "last": b, "denied": int(d)} for p, n, a, b, d in rows
    ]
    return {"vehicles": len(vehicles), "passages": sum(v["passages"] for v in vehicles), "items": vehicles}


async def _async_in_use(scope: Scope, min_stage: dict[str, str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """In-plant vehicles and machinery seen in the period: distinct vehicles by stage, share usable in an
    alert (stage at or above `min_stage` of their class, or electric)."""
    r = scope.reader
    ident = (
        f"COALESCE(NULLIF(plate, ''), {r.json_text('data', 'vehicle', 'env_code')}, "
        f"{r.json_text('data', 'vehicle', 'internal_no')})"
    )
    rows = await r.rows(
        f"SELECT vehicle_class, {ident}, max(emission_stage), max(fuel), count(*) FROM ledger_record "
        f"WHERE {scope.where} AND vehicle_class IN ('in_plant', 'machinery') GROUP BY vehicle_class, {ident}",
        scope.args,
    )
    result = []
    for vclass in ("in_plant", "machinery"):
        mine = [row for row in rows if row[0] == vclass]
        by_stage: dict[str, int] = defaultdict(int)
        usable = 0
        for _, _, stage, fuel, _ in mine:
            by_stage[stage_key(stage, fuel)] += 1
            usable += usable_in_alert(stage, min_stage.get(vclass, "0"))
        result.append(
            {
                "vehicles": len(mine),
                "passages": sum(int(row[4]) for row in mine),
                "by_stage": dict(sorted(by_stage.items())),
                "usable_in_alert": usable,
                "share_usable_in_alert": round(usable / len(mine), 4) if mine else None,
                "min_stage_in_alert": min_stage.get(vclass),
            }
        )
    return result[0], result[1]


async def async_movements(scope: Scope) -> dict[str, Any]:
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

    def on_passage(p: dict[str, Any]) -> None:
        if p["recorded_ts"] < scope.start or not scope.holds(p):
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
        days[day(p["recorded_ts"])][f"tonnes_{direction}"] += tonnes
        cargo = (p.get("cargo") or {}).get("cargo") or "未填写"
        for key, name in (("by_cargo", cargo), ("by_stage", stage_key(p["emission_stage"], p["fuel"]))):
            bucket = tonnage[key].setdefault(name, {"in": 0.0, "out": 0.0})
            bucket[direction] += tonnes

    def on_trip(t: dict[str, Any]) -> None:
        first = t["entry"] or t["exit"]
        if not scope.start <= first["recorded_ts"] < scope.end or not scope.holds(first):
            return
        counted["count"] += 1
        days[day(first["recorded_ts"])]["trips"] += 1
        if t["dwell_s"] is not None:
            counted["complete"] += 1
            dwell.append(t["dwell_s"] / 60)
        else:
            counted["entry_without_exit" if t["entry"] else "exit_without_entry"] += 1

    await async_pair(
        scope.reader,
        scope.start,
        scope.end,
        TRIP_LOOKBACK_S,
        on_passage,
        on_trip,
    )
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
    reader: Reader, period: Period, gate: str | None, lane: str | None, alert_min_stage: dict[str, str]
) -> dict[str, Any]:
    scope = Scope(reader, period, gate, lane)
    counts = await async_counts(scope, alert_min_stage)
    moves = await async_movements(scope)
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
