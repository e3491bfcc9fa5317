"""Turning service data into chain rows and chain rows back into record dicts (pure)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from .chain import RECORD_COLUMNS, canonical_json
from .const import KIND_PASSAGE
from .schemas import RecordPassage

# Columns of `ledger_record` selected by every reader, in this order (the hash last).
SELECT_COLUMNS = (*RECORD_COLUMNS, "hash")
SELECT_LIST = ", ".join(f'"{c}"' for c in SELECT_COLUMNS)
_DATA_AT = SELECT_COLUMNS.index("data")
_OUT_COLUMNS = tuple(c for c in SELECT_COLUMNS if c != "data")
# The decoded `data` of a row being written: not a column, never stored (the writer takes columns).
DETAIL = "_detail"


def timestamp(moment: datetime) -> tuple[int, str]:
    """Epoch seconds and ISO text to the second, in the moment's own (plant) time zone."""
    moment = moment.replace(microsecond=0)
    return int(moment.timestamp()), moment.isoformat()


def passage_row(
    data: RecordPassage, photos: dict[str, str], now: datetime, user_id: str | None
) -> dict[str, Any]:
    ts, at = timestamp(now)
    captured = data.captured_at
    if captured is not None and captured.tzinfo is None:
        captured = captured.replace(tzinfo=now.tzinfo)
    vehicle = data.vehicle.model_dump(mode="json", exclude_none=True)
    every = {
        "read_id": data.read_id,
        "reason_text": data.reason_text,
        "rule": data.rule,
        "alert_level": data.alert_level,
        "confidence": data.confidence,
        "needs_review": data.needs_review,
        "captured_at": captured.isoformat() if captured else None,
        # Camera clock minus hub clock when the record was made: a camera whose clock drifts shows here.
        "clock_skew_s": round((captured - now).total_seconds(), 1) if captured else None,
        "video_ref": data.video_ref,
        "entry": "manual" if data.entry == "manual" else None,  # automatic rows stay as they were
        "vehicle": vehicle,
        "photos": photos,
    }
    detail = {k: v for k, v in every.items() if v is not None}
    return {
        "kind": KIND_PASSAGE,
        "passage_id": data.passage_id,
        "ref_seq": None,
        "recorded_ts": ts,
        "recorded_at": at,
        "gate": data.gate,
        "lane": data.lane,
        "direction": data.direction,
        "plate": data.plate.strip(),
        "colour": data.colour,
        "vehicle_class": data.vehicle_class,
        "emission_stage": vehicle.get("emission_stage"),
        "fuel": vehicle.get("fuel"),
        "fleet": vehicle.get("fleet"),
        "decision": data.decision,
        "reason_code": data.reason_code,
        "status": None,
        "actor": user_id,
        "photo_plate": photos.get("plate"),
        "photo_scene": photos.get("scene"),
        "rfid": data.rfid,
        "data": canonical_json(detail),
        DETAIL: detail,
    }


def followup_row(
    passage: Mapping[str, Any], kind: str, payload: dict[str, Any], now: datetime, user_id: str | None
) -> dict[str, Any]:
    ts, at = timestamp(now)
    row = dict.fromkeys(RECORD_COLUMNS)
    row.update(
        kind=kind,
        passage_id=passage["passage_id"],
        ref_seq=passage["seq"],
        recorded_ts=ts,
        recorded_at=at,
        gate=passage["gate"],
        lane=passage["lane"],
        direction=passage["direction"],
        status=payload.get("state") or payload.get("status"),
        actor=user_id,
        data=canonical_json(payload),
    )
    row[DETAIL] = payload
    if kind == "correction":
        row["plate"] = payload["plate"]
        row["colour"] = payload.get("colour")
    return row


def committed_record(row: dict[str, Any]) -> dict[str, Any]:
    """`record_dict` of a row this run built and committed, from the fields its `data` was encoded
    from (JSON types only, so they equal what decoding `data` gives) instead of decoding it again."""
    detail = row.pop(DETAIL, None)
    if detail is None:
        return record_dict(row)
    out = dict(zip(_OUT_COLUMNS, map(row.get, _OUT_COLUMNS), strict=True))
    for key, value in detail.items():
        if out.get(key) is None:
            out[key] = value
    return out


def record_dict(row: Mapping[str, Any] | Sequence[Any]) -> dict[str, Any]:
    """A chain row as the outside sees it: columns, then the fields of `data` that no column holds."""
    if isinstance(row, Mapping):
        out = dict(zip(_OUT_COLUMNS, map(row.get, _OUT_COLUMNS), strict=True))
        data = row["data"]
    else:
        values = list(row)
        data = values.pop(_DATA_AT)
        out = dict(zip(_OUT_COLUMNS, values, strict=True))
    for key, value in json.loads(data or "{}").items():
        if out.get(key) is None:
            out[key] = value
    return out
