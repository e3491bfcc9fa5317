"""The ledger's services: record, query, read for the uplink, verify, back up, prune."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.core import Hub, HubError, ServiceCall, Unauthorized
from hub.core.auth import Role

from .const import DOMAIN, FINISHED_STATES, KIND_PASSAGE
from .manual import ManualPassage, async_record_manual
from .query import async_query_audit, async_query_passages
from .recorder import Ledger
from .retention import async_prune
from .rows import SELECT_LIST, record_dict
from .schemas import (
    AuditQuery,
    DailyStatsRequest,
    EvidenceRequest,
    OpenPassages,
    PassageQuery,
    ReadRecords,
    RecordAudit,
    RecordFollowup,
    RecordFollowups,
    RecordPassage,
    TripQuery,
)
from .stats import async_daily_stats
from .trips import async_trips
from .verify import async_verify

READERS = {Role.INSPECTOR, Role.OFFICER, Role.GUARD}
AUDITORS = {Role.INSPECTOR, Role.OFFICER}


class Verify(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evidence: bool = True


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Backup(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Another folder than `ledger.backup_dir` names the hub's own disk: only the hub itself (the command
    # line on its machine, automations) may give one.
    to: str | None = Field(None, min_length=1, max_length=1000)


async def async_verify_ledger(ledger: Ledger, evidence: bool = True) -> dict[str, Any]:
    reports = await async_verify(
        ledger.conn, ledger.dialect, ledger.hub.async_add_executor_job, ledger.hub.data_dir,
        ledger.photos if evidence else None,
    )  # fmt: skip
    return {"ok": all(r.ok for r in reports), "chains": [r.as_dict() for r in reports]}


async def async_heads(ledger: Ledger) -> dict[str, Any]:
    heads = {}
    for table, name in (("ledger_record", "record"), ("ledger_audit", "audit")):
        _, rows = await ledger.conn.execute_query(f"SELECT seq, hash FROM {table} ORDER BY seq DESC LIMIT 1")
        heads[name] = {"seq": int(rows[0][0]), "hash": rows[0][1]} if rows else None
    return heads


def backup_root(ledger: Ledger) -> Path:
    path = Path(ledger.config.backup_dir)
    return path if path.is_absolute() else ledger.hub.data_dir / path


def register(hub: Hub, ledger: Ledger) -> None:
    async def manual_passage(call: ServiceCall) -> dict[str, Any]:
        return await async_record_manual(hub, ledger, call)

    async def record_passage(call: ServiceCall) -> dict[str, Any]:
        row = await ledger.async_record_passage(call.data, call.context)
        return {"seq": row["seq"], "passage_id": row["passage_id"], "hash": row["hash"]}

    async def record_followup(call: ServiceCall) -> dict[str, Any]:
        d: RecordFollowup = call.data
        row = await ledger.async_record_followup(d.passage_id, d.kind, d.data, d.reason, call.context)
        return {"seq": row["seq"], "passage_id": row["passage_id"], "hash": row["hash"]}

    async def record_followups(call: ServiceCall) -> dict[str, Any]:
        d: RecordFollowups = call.data
        results = await ledger.async_record_followups(d.followups, call.context)
        return {
            "records": [
                {"error": str(r)} if isinstance(r, Exception)
                else {"seq": r["seq"], "passage_id": r["passage_id"], "hash": r["hash"]}
                for r in results
            ]
        }  # fmt: skip

    async def query(call: ServiceCall) -> dict[str, Any]:
        return await async_query_passages(ledger.conn, ledger.dialect, call.data)

    async def audit_query(call: ServiceCall) -> dict[str, Any]:
        return await async_query_audit(ledger.conn, ledger.dialect, call.data)

    async def read_records(call: ServiceCall) -> list[dict[str, Any]]:
        d: ReadRecords = call.data
        _, rows = await ledger.conn.execute_query(
            ledger.sql(f"SELECT {SELECT_LIST} FROM ledger_record WHERE seq > ? ORDER BY seq LIMIT ?"),
            [d.after_seq, d.limit],
        )
        return [record_dict(r) for r in rows]

    async def open_passages(call: ServiceCall) -> list[dict[str, Any]]:
        d: OpenPassages = call.data
        since = int(hub.now().timestamp() - d.within_hours * 3600)
        marks = ", ".join("?" for _ in FINISHED_STATES)
        columns = ", ".join(f"p.{c}" for c in SELECT_LIST.split(", "))
        _, rows = await ledger.conn.execute_query(
            ledger.sql(
                f"SELECT {columns} FROM ledger_record p WHERE p.kind = ? AND p.recorded_ts >= ? "
                "AND NOT EXISTS (SELECT 1 FROM ledger_record f WHERE f.passage_id = p.passage_id "
                f"AND f.kind = 'lifecycle' AND f.status IN ({marks})) ORDER BY p.seq"
            ),
            [KIND_PASSAGE, since, *FINISHED_STATES],
        )
        return [record_dict(r) for r in rows]

    async def last_passages(call: ServiceCall) -> list[dict[str, Any]]:
        """Each lane's latest passage recorded within the window, and whether it is weighed."""
        since = int(hub.now().timestamp() - call.data.within_hours * 3600)
        _, rows = await ledger.conn.execute_query(
            ledger.sql(
                "SELECT p.passage_id, p.gate, p.lane, p.recorded_ts, EXISTS (SELECT 1 FROM ledger_record w "
                "WHERE w.passage_id = p.passage_id AND w.kind = 'weight') FROM ledger_record p "
                "WHERE p.kind = ? AND p.recorded_ts >= ? AND NOT EXISTS (SELECT 1 FROM ledger_record n "
                "WHERE n.kind = p.kind AND n.gate = p.gate AND n.lane = p.lane AND n.seq > p.seq)"
            ),
            [KIND_PASSAGE, since],
        )
        keys = ("passage_id", "gate", "lane", "recorded_ts", "weighed")
        return [{**dict(zip(keys, row, strict=True)), "weighed": bool(row[4])} for row in rows]

    async def record_audit(call: ServiceCall) -> dict[str, Any]:
        d: RecordAudit = call.data
        row = await ledger.async_audit(
            action=d.action, door=d.door, outcome=d.outcome, user_id=call.context.user_id,
            target=d.target, detail=d.detail,
        )  # fmt: skip
        return {"seq": row["seq"], "hash": row["hash"]}

    async def trips(call: ServiceCall) -> dict[str, Any]:
        now_ts = int(hub.now().timestamp())
        return await async_trips(
            ledger.conn, ledger.dialect, call.data, now_ts, ledger.config.trip_open_hours
        )

    async def verify(call: ServiceCall) -> dict[str, Any]:
        return await async_verify_ledger(ledger, call.data.evidence)

    async def backup(call: ServiceCall) -> dict[str, Any]:
        from .backup import async_backup

        d: Backup = call.data
        if d.to is not None and call.context.user_id is not None:
            raise Unauthorized("只有本机可指定备份目录 a backup folder is named only on the hub's machine")
        root = Path(d.to) if d.to else backup_root(ledger)
        if not root.is_absolute():
            raise HubError(f"备份目录须为绝对路径 the backup folder must be an absolute path: {d.to}")
        keep = ledger.config.backup_keep
        return await async_backup(hub, root, await async_heads(ledger), keep=keep)

    async def prune(call: ServiceCall) -> dict[str, Any]:
        return await async_prune(ledger, hub.now())

    async def evidence(call: ServiceCall) -> dict[str, Any]:
        data = await ledger.async_photo(call.data.sha256)
        return {"content_type": "image/jpeg", "data": data}

    async def daily_stats(call: ServiceCall) -> dict[str, Any]:
        return await async_daily_stats(ledger.conn, ledger.dialect, call.data.date, hub.clock.tz)

    admin = {Role.ADMIN}
    reg = hub.services.async_register
    # Only the lane logic records the lane's passages; what a person lets through is a manual entry.
    reg(DOMAIN, "record_passage", record_passage, RecordPassage, internal=True, description="记录通行")
    reg(
        DOMAIN, "record_manual_passage", manual_passage, ManualPassage, roles={Role.GUARD, Role.OFFICER},
        description="人工登记 a vehicle let through by hand, with photo and reason",
    )  # fmt: skip
    reg(DOMAIN, "record_followup", record_followup, RecordFollowup, roles={Role.GUARD, Role.OFFICER})
    reg(DOMAIN, "record_followups", record_followups, RecordFollowups, roles={Role.GUARD, Role.OFFICER})
    reg(DOMAIN, "query", query, PassageQuery, roles=READERS, description="台账查询 search passages")
    reg(DOMAIN, "audit_query", audit_query, AuditQuery, roles=AUDITORS, description="审计日志查询")
    reg(DOMAIN, "read_records", read_records, ReadRecords, roles={Role.INSPECTOR, Role.ENGINEER})
    reg(DOMAIN, "open_passages", open_passages, OpenPassages, roles={Role.GUARD, Role.OFFICER})
    reg(DOMAIN, "last_passages", last_passages, OpenPassages, roles={Role.GUARD, Role.OFFICER})
    reg(DOMAIN, "record_audit", record_audit, RecordAudit, roles=admin)
    reg(DOMAIN, "evidence", evidence, EvidenceRequest, roles=READERS, description="通行照片 a passage photo")
    reg(
        DOMAIN, "daily_stats", daily_stats, DailyStatsRequest, roles=READERS | {Role.ENGINEER},
        description="日统计 counts of one day",
    )  # fmt: skip
    reg(DOMAIN, "trips", trips, TripQuery, roles=READERS, description="车次查询 entries paired with exits")
    reg(DOMAIN, "verify", verify, Verify, roles=AUDITORS, description="台账校验 verify the hash chains")
    reg(
        DOMAIN,
        "backup",
        backup,
        Backup,
        roles={Role.OFFICER, Role.ENGINEER},
        description="在线备份 online backup",
    )
    reg(DOMAIN, "prune", prune, Empty, roles=admin, description="按保存期限清理 retention run now")
