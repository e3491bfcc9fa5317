"""The reports' services (`reports.*`): every door (HMI, REST, OPC UA, MQTT, command line) calls these,
so the roles hold wherever the call comes from. Officers, inspectors (and admins) read; only officers
enter or import other modes' tonnage; every call is in the audit chain (the registry announces it)."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict

from hub.core import Hub, ServiceCall, ServiceValidationError
from hub.core.auth import Role
from hub.core.disk import async_require_room

from .const import DOMAIN
from .reporter import CONTENT_TYPES, Reports
from .schedule import Scheduler
from .schemas import (
    CarrierRequest,
    CleanTransportRequest,
    ExportChain,
    ExportRequest,
    FileRequest,
    FilesRequest,
    PeriodRequest,
    StatisticsRequest,
    TonnageEntry,
    TonnageImport,
    TonnageList,
)
from .tonnage import async_add, parse_rows, read_table
from .verifier import CSV_NAME, HTML_NAME, JSON_NAME, write_chain_export

EXPORT_DIR = "exports"  # under the data directory: chain exports

READERS = {Role.OFFICER, Role.INSPECTOR}
OFFICERS = {Role.OFFICER}


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


def register(hub: Hub, rt: Reports, scheduler: Scheduler) -> None:
    async def statistics(call: ServiceCall) -> dict[str, Any]:
        d: StatisticsRequest = call.data
        return await rt.statistics(rt.period(d), d.gate, d.lane)

    async def clean_transport(call: ServiceCall) -> dict[str, Any]:
        d: CleanTransportRequest = call.data
        return await rt.clean_transport(rt.period(d), with_passages=d.with_passages)

    async def alerts(call: ServiceCall) -> dict[str, Any]:
        return await rt.alerts(rt.period(call.data))

    async def carriers(call: ServiceCall) -> dict[str, Any]:
        d: CarrierRequest = call.data
        return await rt.carriers(rt.period(d), d.fleet)

    async def enter_tonnage(call: ServiceCall) -> dict[str, Any]:
        try:
            entry_id = await async_add(call.data, call.context.user_id, hub.now().isoformat())
        except ValueError as err:
            raise ServiceValidationError(DOMAIN, "enter_tonnage", [("replaces", str(err))]) from err
        return {"id": entry_id}

    async def import_tonnage(call: ServiceCall) -> dict[str, Any]:
        d: TonnageImport = call.data
        try:
            rows = await hub.async_add_executor_job(read_table, d.filename, d.content)
        except Exception as err:  # a file that is no spreadsheet: the reason, never a 5xx
            raise ServiceValidationError(DOMAIN, "import_tonnage", [("content", f"无法读取 {err}")]) from err
        entries, errors = parse_rows(rows, d.source)
        if errors or d.dry_run:
            return {"imported": 0, "valid": len(entries), "errors": errors}
        label = f"{d.filename} sha256:{hashlib.sha256(d.content).hexdigest()}"[:200]
        at = hub.now().isoformat()
        ids = [await async_add(e, call.context.user_id, at, label) for e in entries]
        return {"imported": len(ids), "ids": ids, "errors": []}

    async def tonnage(call: ServiceCall) -> dict[str, Any]:
        from .clean import async_other_modes

        period = rt.period(call.data)
        by_mode, entries = await async_other_modes(period)
        return {**period.as_dict(), "by_mode": by_mode, "entries": entries}

    async def export(call: ServiceCall) -> dict[str, Any]:
        d: ExportRequest = call.data
        return await rt.async_write(d.kind, rt.period(d), d.format, call.context, d, encoding=d.encoding)

    async def files(call: ServiceCall) -> dict[str, Any]:
        d: FilesRequest = call.data
        return {"files": await rt.async_files(d.kind, d.limit)}

    async def file(call: ServiceCall) -> dict[str, Any]:
        found = await rt.async_file(call.data.name)
        if found is None:
            raise ServiceValidationError(DOMAIN, "file", [("name", "no such report file 无此报表文件")])
        info, path = found
        content = await hub.async_add_executor_job(path.read_bytes)
        kind = CONTENT_TYPES.get(info["name"].rsplit(".", 1)[-1], "application/octet-stream")
        return {**info, "content_type": kind, "content": content}

    async def export_chain(call: ServiceCall) -> dict[str, Any]:
        d: ExportChain = call.data
        tz = hub.clock.tz
        start, end = (t if t.tzinfo else t.replace(tzinfo=tz) for t in (d.start, d.end))
        name = f"chain-{start.astimezone(tz):%Y%m%d-%H%M%S}-{end.astimezone(tz):%Y%m%d-%H%M%S}"
        folder = hub.data_dir / EXPORT_DIR / name
        await async_require_room(hub, "台账链导出 chain export", folder)  # the ledger's reserve stays its own
        await write_chain_export(hub, start, end, folder)
        return {"path": str(folder), "files": [JSON_NAME, CSV_NAME, HTML_NAME]}

    async def run_schedule(call: ServiceCall) -> dict[str, Any]:
        return {"written": await scheduler.async_run_due()}

    reg = hub.services.async_register
    reg(
        DOMAIN, "export_chain", export_chain, ExportChain, roles=READERS | {Role.ENGINEER},
        description="台账哈希链导出 ledger rows of a period with an offline verifier, under data/exports",
    )  # fmt: skip
    reg(
        DOMAIN,
        "statistics",
        statistics,
        StatisticsRequest,
        roles=READERS,
        description="统计报表 statistics of a day/week/month/quarter/year/range, per plant, gate or lane",
    )
    reg(
        DOMAIN,
        "clean_transport",
        clean_transport,
        CleanTransportRequest,
        roles=READERS,
        description="清洁运输比例 clean-transport ratio by tonnage, with and without new-energy trucks",
    )
    reg(
        DOMAIN,
        "alerts",
        alerts,
        PeriodRequest,
        roles=READERS,
        description="应急响应报告 alert periods with what passed, was denied and broke the rule",
    )
    reg(
        DOMAIN,
        "carriers",
        carriers,
        CarrierRequest,
        roles=READERS,
        description="车队评分 carrier scorecards: trips, tonnage, stage mix, denials",
    )
    reg(
        DOMAIN,
        "enter_tonnage",
        enter_tonnage,
        TonnageEntry,
        roles=OFFICERS,
        description="录入铁路/水路/管道/皮带通廊运输量 enter other modes' tonnage of a period",
    )
    reg(
        DOMAIN,
        "import_tonnage",
        import_tonnage,
        TonnageImport,
        roles=OFFICERS,
        description="导入其他运输方式运输量 import other modes' tonnage (.xlsx/.csv)",
    )
    reg(
        DOMAIN,
        "tonnage",
        tonnage,
        TonnageList,
        roles=READERS,
        description="其他运输方式运输量 other modes' tonnage entered for a period",
    )
    reg(
        DOMAIN,
        "export",
        export,
        ExportRequest,
        roles=READERS,
        description="导出报表 write a report, an appendix table or the evidence pack (.xlsx/.csv)",
    )
    reg(DOMAIN, "files", files, FilesRequest, roles=READERS, description="报表文件 report files written")
    reg(DOMAIN, "file", file, FileRequest, roles=READERS, description="下载报表文件 one report file")
    reg(
        DOMAIN,
        "run_schedule",
        run_schedule,
        Empty,
        roles=OFFICERS,
        description="生成到期的定时报表 write the scheduled reports that are due now",
    )
