"""The reports at run time: one object per hub (and per command-line run) holding the reader, the
configuration and the reports folder; every service and the schedule go through it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from hub.core import Context, Hub, ServiceValidationError
from hub.core.disk import async_require_room

from .alerts import async_alert_report
from .carriers import async_carriers
from .clean import async_clean_transport
from .config import ReportsConfig
from .const import DOMAIN, EVENT_REPORT_WRITTEN
from .days import ClosedDays
from .db import Reader
from .export import TITLES, WRITERS, Writer
from .models import ReportFile
from .period import Period, resolve
from .sheets import ReportBook
from .statistics import async_statistics

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTENT_TYPES = {"xlsx": XLSX_TYPE, "csv": "text/csv", "html": "text/html; charset=utf-8"}


class Reports:
    def __init__(self, hub: Hub, config: ReportsConfig) -> None:
        self.hub = hub
        self.config = config
        self.reader = Reader(hub)
        self.days = ClosedDays(self.reader)  # the closed days' passages and counts, kept in memory
        folder = Path(config.folder)
        self.folder = folder if folder.is_absolute() else hub.data_dir / folder
        self._reserved: set[str] = set()  # names being written

    # ----- periods and names ---------------------------------------------------------------------------
    def period(self, req: Any) -> Period:
        day = req.date or self.hub.now().date()
        return resolve(req.period, day, req.start, req.end)

    def username(self, user_id: str | None) -> str | None:
        if user_id is None:
            return None
        user = self.hub.auth.get(user_id)
        return user.username if user else user_id

    def photo_url(self, sha256: str | None) -> str | None:
        return self.config.photo_url.replace("{sha256}", sha256) if sha256 else None

    async def async_chain_head(self) -> dict[str, Any] | None:
        rows = await self.reader.rows("SELECT seq, hash FROM ledger_record ORDER BY seq DESC LIMIT 1")
        return {"seq": int(rows[0][0]), "hash": rows[0][1]} if rows else None

    async def async_header(self, title: str, period: Period, context: Context) -> list[tuple[str, Any]]:
        head = await self.async_chain_head()
        who = self.username(context.user_id) if context.user_id else "系统 hub"
        return [
            ("企业名称", self.hub.core_config.name), ("报表", title), ("统计期间", period.label()),
            ("生成时间", self.hub.now().isoformat(sep=" ")[:19]), ("生成人", who),
            ("台账链头哈希", f"#{head['seq']} {head['hash']}" if head else "（空台账）"),
        ]  # fmt: skip

    # ----- reports -----------------------------------------------------------------------------------
    async def statistics(self, period: Period, gate: str | None, lane: str | None) -> dict[str, Any]:
        return await async_statistics(self.days, period, gate, lane, self.config.alert_min_stage)

    async def clean_transport(self, period: Period, *, with_passages: bool = False) -> dict[str, Any]:
        return await async_clean_transport(
            self.days, period, self.config.clean_target, with_passages=with_passages
        )

    async def alerts(self, period: Period) -> dict[str, Any]:
        return await async_alert_report(self.reader, period)

    async def carriers(self, period: Period, fleet: str | None) -> dict[str, Any]:
        return await async_carriers(self.days, period, fleet)

    async def async_register(self, vclass: str, chunk: int = 2000) -> AsyncIterator[list[dict[str, Any]]]:
        """The register's records of a class (read only), in id order, a chunk at a time."""
        after = -1
        while True:
            rows = await self.reader.rows(
                "SELECT id, data FROM vehicle WHERE vclass = ? AND id > ? ORDER BY id LIMIT ?",
                [vclass, after, chunk],
            )
            if not rows:
                return
            yield [json.loads(data) for _, data in rows]
            after = int(rows[-1][0])

    # ----- files --------------------------------------------------------------------------------------
    async def async_file_name(self, kind: str, period: Period, fmt: str) -> str:
        """A name no other report has: the kind, the period, the time, and a number if that is taken."""
        stamp = self.hub.now().strftime("%Y%m%d_%H%M%S")
        base = f"{TITLES[kind]}_{period.first:%Y%m%d}-{period.last:%Y%m%d}_{stamp}"
        for n in range(1, 1000):
            name = f"{base}.{fmt}" if n == 1 else f"{base}_{n}.{fmt}"
            taken = name in self._reserved or await ReportFile.exists(name=name)
            if not taken and not (self.folder / name).exists():
                self._reserved.add(name)
                return name
        raise RuntimeError("too many reports of one kind in one second")

    async def async_write(
        self,
        kind: str,
        period: Period,
        fmt: str,
        context: Context,
        req: Any,
        *,
        encoding: str = "utf-8",
        by: str | None = None,
    ) -> dict[str, Any]:
        """Write report `kind` of `period` to the reports folder; record and announce it."""
        await async_require_room(self.hub, "报表导出 report export")
        await self.hub.async_add_executor_job(lambda: self.folder.mkdir(parents=True, exist_ok=True))
        if kind in ("transport", "in_plant", "machinery") and "vehicles" not in self.hub.config:
            raise ServiceValidationError(
                DOMAIN, "export", [("kind", "车辆台账未配置 the register (vehicles:) is not configured")]
            )
        if kind == "evidence_pack":
            fmt = "xlsx"  # the pack is a workbook and its HTML page, never a CSV
        name = await self.async_file_name(kind, period, fmt)
        if kind == "evidence_pack":
            from .pack import async_evidence_pack

            return await self.async_record(
                name, kind, period, context, *await async_evidence_pack(self, period, context, name), by=by
            )
        header = await self.async_header(TITLES[kind], period, context)
        book = await self.hub.async_add_executor_job(ReportBook, self.folder / name, fmt, encoding)
        try:
            await WRITERS[kind](Writer(self, book, header), period, req)
            size, digest = await self.hub.async_add_executor_job(book.close)
        except BaseException:
            self._reserved.discard(name)
            await self.hub.async_add_executor_job(book.abort)
            raise
        return await self.async_record(name, kind, period, context, size, digest, book.rows, by=by)

    async def async_record(
        self,
        name: str,
        kind: str,
        period: Period,
        context: Context,
        size: int,
        digest: str,
        rows: int,
        *,
        by: str | None = None,
    ) -> dict[str, Any]:
        self._reserved.discard(name)
        row = await ReportFile.create(
            name=name, kind=kind, period_start=period.first.isoformat(), period_end=period.last.isoformat(),
            size=size, sha256=digest, rows=rows, created_at=self.hub.now().isoformat(),
            created_by=by or context.user_id or "hub",
        )  # fmt: skip
        info = file_info(row)
        self.hub.bus.async_fire(EVENT_REPORT_WRITTEN, info, context)
        return info

    async def async_files(self, kind: str | None, limit: int) -> list[dict[str, Any]]:
        query = ReportFile.all() if kind is None else ReportFile.filter(kind=kind)
        return [file_info(r) for r in await query.order_by("-id").limit(limit)]

    async def async_file(self, name: str) -> tuple[dict[str, Any], Path] | None:
        row = await ReportFile.get_or_none(name=name)
        if row is None:
            return None
        return file_info(row), self.folder / row.name


def file_info(row: ReportFile) -> dict[str, Any]:
    return {
        "name": row.name, "kind": row.kind, "start": row.period_start, "end": row.period_end,
        "size": row.size, "sha256": row.sha256, "rows": row.rows, "created_at": row.created_at,
        "created_by": row.created_by, "domain": DOMAIN,
    }  # fmt: skip
