"""Rules on what stands now rather than on a day's passages: the vehicle register's records and the
uplink's backlog and rejected records. Read with plain SQL on the tables of the vehicles and uplink
components (read only); a plant without one of them has nothing to check there."""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, timedelta
from typing import Any

from hub.components.ledger.sql import for_dialect

from .config import Thresholds
from .finding import Finding
from .window import Window

_LOGGER = logging.getLogger(__name__)
# Field names of the register (spec: 'The three classes of mobile source'; hub/components/vehicles/fields.py).
DOCUMENTS = {
    "transport": ("photo_emission_list", "photo_licence"),
    "in_plant": ("photo_emission_list", "photo_licence"),
    "machinery": ("photo_engine_plate",),
}
FIELD_LABELS = {
    "emission_stage": "排放阶段", "vin": "车辆识别代号", "registration_date": "注册登记日期",
    "production_date": "生产日期", "document_photo": "随车清单/行驶证照片", "network_status": "联网状态",
}  # fmt: skip


async def async_rows(conn: Any, dialect: str, sql: str, args: list[Any]) -> list[tuple[Any, ...]] | None:
    """Rows, or None where the table does not exist (the component is not configured)."""
    try:
        _, rows = await conn.execute_query(for_dialect(dialect, sql), args)
    except Exception as err:  # the drivers name a missing table differently
        if "exist" in str(err).lower() or "no such table" in str(err).lower():
            return None
        raise
    return [tuple(r) for r in rows]


async def async_register(conn: Any, dialect: str) -> list[tuple[Any, ...]] | None:
    return await async_rows(
        conn, dialect,
        "SELECT vclass, key, plate, env_code, internal_no, vin, vehicle_type, fuel, emission_stage, data "
        "FROM vehicle", [],
    )  # fmt: skip


def register_names(rows: list[tuple[Any, ...]]) -> set[str]:
    """Every plate and code the register knows (a passage of machinery may carry its code)."""
    return {str(v) for row in rows for v in row[2:5] if v}


def _heavy(vehicle_type: str | None) -> bool:
    return bool(vehicle_type) and (str(vehicle_type).startswith("重型") or vehicle_type == "N3")


def register_findings(rows: list[tuple[Any, ...]], day: str, th: Thresholds) -> list[Finding]:
    """register_incomplete and stage_date_inconsistent, one finding per record and defect."""
    found: list[Finding] = []
    for vclass, key, plate, _env, _no, vin, vtype, fuel, stage, data in rows:
        record = json.loads(data or "{}")
        who = plate or key
        missing = []
        if not stage:
            missing.append("emission_stage")
        if vclass in ("transport", "in_plant"):
            if not vin:
                missing.append("vin")
            if not record.get("registration_date"):
                missing.append("registration_date")
        elif not record.get("production_date"):
            missing.append("production_date")
        if not any(record.get(name) for name in DOCUMENTS.get(vclass, ())):
            missing.append("document_photo")
        if vclass == "transport" and stage == "6" and fuel == "B" and _heavy(vtype):
            if record.get("network_status") is None:
                missing.append("network_status")
        if missing:
            labels = "、".join(FIELD_LABELS[m] for m in missing)
            found.append(Finding(
                "register_incomplete", f"{vclass}:{key}:{'+'.join(missing)}", day, who,
                f"{who} 备案缺少 {labels} missing {', '.join(missing)}", [],
                {"vehicle_class": vclass, "key": key, "missing": missing},
            ))  # fmt: skip
        registered = record.get("registration_date")
        if vclass in ("transport", "in_plant") and stage and registered:
            found.extend(_stage_date(vclass, key, who, str(stage), str(registered), day, th))
    return found


def _stage_date(
    vclass: str, key: str, who: str, stage: str, registered: str, day: str, th: Thresholds
) -> list[Finding]:
    try:
        on = date.fromisoformat(registered[:10])
    except ValueError:
        return []
    earliest, latest = th.stage_earliest.get(stage), th.stage_latest.get(stage)
    if earliest is not None and on < earliest:
        why, bound = f"早于 {earliest} before {earliest}", {"earliest": earliest.isoformat()}
    elif latest is not None and on > latest:
        why, bound = f"晚于 {latest} after {latest}", {"latest": latest.isoformat()}
    else:
        return []
    return [Finding(
        "stage_date_inconsistent", f"{vclass}:{key}:{stage}:{on}", day, who,
        f"{who} 排放阶段 国{stage} 与注册日期 {on} 不符 ({why}) emission stage vs registration date",
        [], {"vehicle_class": vclass, "key": key, "emission_stage": stage,
             "registration_date": on.isoformat(), **bound},
    )]  # fmt: skip


async def async_uplink_findings(conn: Any, dialect: str, win: Window, th: Thresholds) -> list[Finding] | None:
    """upload_backlog per platform and day past its grace; upload_rejected per parked record."""
    now = datetime.fromtimestamp(win.now_ts, win.tz)
    settled = (now - timedelta(hours=th.backlog_grace_hours)).date() - timedelta(days=1)
    days = await async_rows(
        conn, dialect,
        "SELECT platform, day, due, acknowledged, rejected FROM uplink_day WHERE day <= ? ORDER BY day",
        [settled.isoformat()],
    )  # fmt: skip
    if days is None:
        return None
    found: list[Finding] = []
    for platform, day, due, acknowledged, rejected in days:
        pending = int(due or 0) - int(acknowledged or 0) - int(rejected or 0)
        if pending > th.max_backlog:
            found.append(Finding(
                "upload_backlog", f"{platform}:{day}", day, platform,
                f"{platform} {day} 有 {pending} 条记录未被平台确认 {pending} records not acknowledged",
                [], {"platform": platform, "due": due, "acknowledged": acknowledged, "rejected": rejected,
                     "pending": pending},
            ))  # fmt: skip
    parked = await async_rows(
        conn, dialect,
        "SELECT platform, seq, record_id, kind, day, plate, reason, source FROM uplink_parked "
        "WHERE resolved_at IS NULL ORDER BY id", [],
    )  # fmt: skip
    for platform, seq, record_id, kind, day, plate, reason, source in parked or []:
        found.append(Finding(
            "upload_rejected", f"{platform}:{seq}:{record_id}", day, plate or platform,
            f"{platform} 拒收 {plate or record_id}: {reason}"[:500], [int(seq)] if seq and seq > 0 else [],
            {"platform": platform, "record_id": record_id, "kind": kind, "reason": reason, "source": source},
        ))  # fmt: skip
    return found
