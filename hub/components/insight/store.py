"""Writes and reads of the component's own tables, and the read-only look at the ledger's passages."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from hub.core import Hub

from .anomalies import Anomaly
from .join import Passage, Reading
from .models import InsightAnomaly, InsightReading

_PLACEHOLDER = re.compile(r"\?")
PASSAGE_COLUMNS = ("passage_id", "recorded_ts", "plate", "gate", "lane", "direction", "fleet",
                   "emission_stage", "fuel", "decision")  # fmt: skip


async def async_recent_passages(hub: Hub, since_ts: float) -> list[dict[str, Any]]:
    """Passages recorded since then, oldest first (read-only SQL on the hub's connection)."""
    assert hub.db is not None
    sql = (f"SELECT {', '.join(PASSAGE_COLUMNS)} FROM ledger_record WHERE kind = 'passage' "
           "AND recorded_ts >= ? ORDER BY seq")  # fmt: skip
    if hub.db.dialect == "postgres":
        sql = _PLACEHOLDER.sub("$1", sql)
    _, rows = await hub.db.connection.execute_query(sql, [int(since_ts)])
    return [dict(zip(PASSAGE_COLUMNS, tuple(r), strict=True)) for r in rows]


async def async_store_reading(reading: Reading, unit: str, at: str) -> bool:
    """False: this reading was stored before (a unit that sends one again)."""
    values = {k: v for k, v in reading.data.items() if k.endswith(("_ppm", "_pct", "_kmh", "_ms2"))}
    _, created = await InsightReading.get_or_create(
        reading_id=reading.reading_id,
        defaults={
            "unit": unit, "at_ts": int(reading.ts), "at": at, "plate_read": reading.plate,
            "valid": bool(reading.data.get("valid", True)), "values": json.dumps(values),
        },
    )  # fmt: skip
    return bool(created)


async def async_store_join(
    reading: Reading, passage: Passage, method: str, over: dict[str, tuple[float, float]]
) -> None:
    await InsightReading.filter(reading_id=reading.reading_id).update(
        passage_id=passage.passage_id, method=method, plate=passage.plate, fleet=passage.fleet,
        emission_stage=passage.emission_stage, fuel=passage.fuel,
        exceeded=json.dumps({k: list(v) for k, v in over.items()}),
    )  # fmt: skip


async def async_exceedances_of(plate: str, since_ts: float) -> int:
    return await InsightReading.filter(plate=plate, at_ts__gte=since_ts).exclude(exceeded="{}").count()


async def async_flagged(since_ts: float) -> list[dict[str, Any]]:
    """Vehicles with exceedances since then, with their carrier and counts."""
    rows = await InsightReading.filter(at_ts__gte=since_ts, passage_id__isnull=False).values(
        "plate", "fleet", "exceeded", "valid"
    )
    by_plate: dict[str, dict[str, Any]] = {}
    for row in rows:
        new = {"plate": row["plate"], "fleet": row["fleet"], "readings": 0, "exceedances": 0}
        entry = by_plate.setdefault(row["plate"] or "", new)
        entry["readings"] += 1 if row["valid"] else 0
        entry["exceedances"] += 1 if row["exceeded"] != "{}" else 0
    return [e for e in by_plate.values() if e["exceedances"]]


async def async_store_anomaly(anomaly: Anomaly, moment: datetime) -> None:
    await InsightAnomaly.create(
        rule=anomaly.rule, subject=anomaly.subject[:100], at_ts=int(moment.timestamp()),
        at=moment.isoformat(timespec="seconds"), summary=anomaly.summary[:500],
        detail=json.dumps(anomaly.detail, ensure_ascii=False, default=str),
    )  # fmt: skip


async def async_carriers(since_ts: float, until_ts: float | None = None) -> list[dict[str, Any]]:
    """Per carrier: valid joined readings, exceedances and their share, mean NO and opacity by stage."""
    query = InsightReading.filter(at_ts__gte=since_ts, passage_id__isnull=False, valid=True)
    if until_ts is not None:
        query = query.filter(at_ts__lt=until_ts)
    rows = await query.values("fleet", "emission_stage", "values", "exceeded")
    by_fleet: dict[str, dict[str, Any]] = {}
    for row in rows:
        fleet = row["fleet"] or ""
        new = {"fleet": row["fleet"], "readings": 0, "exceedances": 0, "stages": {}}
        entry = by_fleet.setdefault(fleet, new)
        entry["readings"] += 1
        entry["exceedances"] += row["exceeded"] != "{}"
        empty = {"readings": 0, "no": [], "opacity": []}
        stage = entry["stages"].setdefault(row["emission_stage"] or "", empty)
        stage["readings"] += 1
        values = json.loads(row["values"])
        for key, name in (("no_ppm", "no"), ("opacity_pct", "opacity")):
            if isinstance(values.get(key), int | float):
                stage[name].append(values[key])
    out = []
    for entry in by_fleet.values():
        entry["exceedance_share"] = round(entry["exceedances"] / entry["readings"], 4)
        for stage in entry["stages"].values():
            for name in ("no", "opacity"):
                found = stage.pop(name)
                stage[f"mean_{name}"] = round(sum(found) / len(found), 2) if found else None
        out.append(entry)
    return sorted(out, key=lambda e: (-e["exceedance_share"], e["fleet"] or ""))
