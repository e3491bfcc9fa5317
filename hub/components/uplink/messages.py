"""Our side of the mapping: ledger rows, register records, daily figures and alert switches as the flat
source dicts the profile's rules read (pure). Record ids are stable: a resend carries the same id."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .const import LEDGER_KINDS, MSG_PASSAGE, MSG_REGISTER

# Follow-up payload fields that travel with an update message (besides kind, passage and time).
UPDATE_FIELDS = (
    "plate", "colour", "reason", "approver", "valid_minutes", "cargo", "quantity", "unit", "origin",
    "destination", "driver", "driver_phone", "weight_kg", "at", "indicator",
)  # fmt: skip


def message_of(record: Mapping[str, Any]) -> str | None:
    """The message a ledger row becomes, or None for rows that stay in the plant."""
    return LEDGER_KINDS.get(str(record.get("kind")))


def record_id(record: Mapping[str, Any]) -> str:
    """A passage is known by its passage id; a follow-up by its passage id and its place in the chain."""
    if record.get("kind") == MSG_PASSAGE:
        return str(record["passage_id"])
    return f"{record['passage_id']}-{record['kind']}-{record['seq']}"


def record_day(record: Mapping[str, Any]) -> str:
    """The plant-time day a record belongs to (its recorded_at carries the plant's offset)."""
    return str(record["recorded_at"])[:10]


def passage_source(record: Mapping[str, Any], plant: Mapping[str, Any]) -> dict[str, Any]:
    vehicle = record.get("vehicle") or {}
    return {
        **{k: v for k, v in record.items() if not isinstance(v, dict)},
        "record_id": record_id(record),
        "time": record["recorded_at"],
        "barrier": f"{record.get('gate')}_{record.get('lane')}",  # the lane's barrier (道闸), by its key
        "vehicle_type": vehicle.get("vehicle_type"),
        "vin": vehicle.get("vin"),
        "registered": vehicle.get("registered"),
        "vehicle": vehicle,
        "plant": dict(plant),
    }


def update_source(record: Mapping[str, Any], plant: Mapping[str, Any]) -> dict[str, Any]:
    source = {k: record.get(k) for k in UPDATE_FIELDS if record.get(k) is not None}
    return {
        **source,
        "record_id": record_id(record),
        "passage_id": record["passage_id"],
        "kind": record["kind"],
        "seq": record["seq"],
        "time": record["recorded_at"],
        "gate": record.get("gate"),
        "lane": record.get("lane"),
        "plant": dict(plant),
    }


def ledger_source(record: Mapping[str, Any], plant: Mapping[str, Any]) -> dict[str, Any]:
    if message_of(record) == MSG_PASSAGE:
        return passage_source(record, plant)
    return update_source(record, plant)


def photo_source(
    record: Mapping[str, Any], role: str, data: bytes, plant: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "record_id": f"{record['passage_id']}-photo-{role}",
        "passage_id": record["passage_id"],
        "role": role,
        "direction": record.get("direction"),
        "gate": record.get("gate"),
        "plate": record.get("plate"),
        "colour": record.get("colour"),
        "data": data,
        "sha256": record.get(f"photo_{role}"),
        "time": record.get("captured_at") or record["recorded_at"],
        "plant": dict(plant),
    }


def register_message(vclass: str) -> str:
    return MSG_REGISTER[vclass]


def register_source(
    item: Mapping[str, Any], action: str, plant: Mapping[str, Any], tz: Any
) -> dict[str, Any]:
    """A register record from `vehicles.records` (or a deletion: class, key, changed_ts)."""
    stamp = item.get("updated_ts") or item.get("changed_ts")
    return {
        **item,
        "record_id": f"{item['class']}:{item['key']}",
        "action": action,
        "updated": datetime.fromtimestamp(int(stamp), tz) if stamp else None,
        "plant": dict(plant),
    }


def daily_stats_source(stats: Mapping[str, Any], plant: Mapping[str, Any]) -> dict[str, Any]:
    """`ledger.daily_stats`; by_stage / by_class / by_fuel name its entries_by_* counts as well."""
    aliases = {f"by_{k}": stats.get(f"entries_by_{k}") for k in ("stage", "class", "fuel")}
    return {**{k: v for k, v in aliases.items() if v is not None}, **stats,
            "record_id": f"stats-{stats['date']}", "plant": dict(plant)}  # fmt: skip


def alert_source(data: Mapping[str, Any], message_id: str, at: datetime, plant: Mapping[str, Any]) -> dict:
    return {**data, "record_id": message_id, "time": at, "plant": dict(plant)}
