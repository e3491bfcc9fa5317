"""Inspection reports (检查报表, spec "Inspection"): what an inspector asks for, a few clicks each.

- counts: one day or one month of passages by emission stage, class, fuel and decision (sums of
  `async_daily_stats`, so the report and the nightly figures never disagree);
- averages: vehicles per day on normal days against alert days (the level recorded on each passage);
- sample: N passages drawn at random, each checked for completeness, with its photos;
- window: every passage of a few minutes on one lane, to hold against the video.
`ledger.export` writes a report or a passage search as .xlsx (openpyxl, in the executor) or .csv.
"""

from __future__ import annotations

import csv
import io
import random
from bisect import bisect_right
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.core import Hub, ServiceCall
from hub.core.auth import Role
from hub.core.validation import PlausibleDate, PlausibleDatetime
from hub.util.cells import csv_text, keep_text
from hub.util.code_lists import FUEL_LABELS, STAGE_LABELS

from .const import DOMAIN, KIND_PASSAGE
from .query import async_merge_followups, async_query_passages
from .rows import SELECT_LIST, record_dict
from .schemas import PassageQuery
from .stats import async_daily_stats, day_bounds

REPORT_ROLES = {Role.INSPECTOR, Role.OFFICER}
MAX_DAYS = 366
MAX_EXPORT_ROWS = 100_000
LEVELS = ("normal", "yellow", "orange", "red")
LEVEL_LABELS = {
    "normal": "正常",
    "yellow": "黄色预警",
    "orange": "橙色预警",
    "red": "红色预警",
    "none": "无记录",
}
# What a complete ledger record carries (spec "Ledger"): an inspector's sample check counts these.
REQUIRED_FIELDS = (
    "plate", "colour", "recorded_at", "gate", "lane", "direction", "vehicle_class", "emission_stage",
    "fuel", "decision", "photo_plate", "photo_scene",
)  # fmt: skip
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"


class ReportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report: Literal["counts", "averages", "sample", "window"]
    period: Literal["day", "month"] = "day"  # counts
    date: PlausibleDate | None = None  # counts: the day, or any day of the month
    start: PlausibleDate | None = None  # averages, sample: first day
    end: PlausibleDate | None = None  # averages, sample: last day (inclusive)
    size: int = Field(5, ge=1, le=50)  # sample (the spec: 5-10)
    seed: int | None = None  # sample: the same seed draws the same records
    at: PlausibleDatetime | None = None  # window start
    minutes: int = Field(10, ge=1, le=120)  # window length
    gate: str | None = Field(None, max_length=32)
    lane: str | None = Field(None, max_length=32)

    @model_validator(mode="after")
    def _needs(self) -> ReportRequest:
        if self.report == "window" and self.at is None:
            raise ValueError("a window report needs `at` (its start)")
        if self.start and self.end and self.end < self.start:
            raise ValueError("`end` is before `start`")
        if self.start and self.end and (self.end - self.start).days >= MAX_DAYS:
            raise ValueError(f"at most {MAX_DAYS} days")
        return self


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    report: ReportRequest | None = None
    query: PassageQuery | None = None  # a passage search; every matching row (up to MAX_EXPORT_ROWS)
    format: Literal["xlsx", "csv"] = "xlsx"

    @model_validator(mode="after")
    def _one(self) -> ExportRequest:
        if (self.report is None) == (self.query is None):
            raise ValueError("give exactly one of report or query")
        return self


def _today(hub: Hub) -> date:
    return hub.now().date()


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


async def async_counts(ledger: Any, d: ReportRequest) -> dict[str, Any]:
    tz = ledger.hub.clock.tz
    day = d.date or _today(ledger.hub)
    if d.period == "month":
        first = day.replace(day=1)
        last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    else:
        first = last = day
    days = [await async_daily_stats(ledger.conn, ledger.dialect, x, tz) for x in _days(first, last)]
    totals = {
        k: sum(s[k] for s in days) for k in ("entries", "exits", "allowed", "denied", "review", "released")
    }
    grouped: dict[str, dict[str, int]] = {}
    for name in ("stage", "class", "fuel"):
        merged: dict[str, int] = {}
        for s in days:
            for key, n in s[f"entries_by_{name}"].items():
                merged[key] = merged.get(key, 0) + n
        grouped[f"by_{name}"] = dict(sorted(merged.items()))
    return {
        "report": "counts", "period": d.period, "start": first.isoformat(), "end": last.isoformat(),
        **totals, **grouped,
        "by_decision": {"allow": totals["allowed"], "deny": totals["denied"], "review": totals["review"]},
        "days": days if d.period == "month" else [],
    }  # fmt: skip


async def async_averages(ledger: Any, d: ReportRequest) -> dict[str, Any]:
    """Each day's entries and distinct vehicles, and its highest recorded alert level.

    The level comes from the passages (`alert_level` as the policy recorded it), matched in the canonical
    JSON text so no JSON is parsed per row. A day without any passage has no known level: it is listed but
    left out of both averages (an idle plant is not a normal day).
    """
    hub, tz = ledger.hub, ledger.hub.clock.tz
    end = d.end or _today(hub)
    start = d.start or end - timedelta(days=29)
    days = _days(start, end)
    bounds = [day_bounds(x, tz)[0] for x in days]
    level_case = " ".join(
        f'WHEN data LIKE \'%"alert_level":"{level}"%\' THEN {rank}'
        for rank, level in reversed(list(enumerate(LEVELS)))
        if rank
    )
    _, rows = await ledger.conn.execute_query(
        ledger.sql(
            f"SELECT recorded_ts, direction, plate, CASE {level_case} ELSE 0 END FROM ledger_record "
            "WHERE kind = ? AND recorded_ts >= ? AND recorded_ts < ?"
        ),
        [KIND_PASSAGE, bounds[0], day_bounds(end, tz)[1]],
    )

    def tally() -> list[dict[str, Any]]:
        ranks = [-1] * len(days)
        entries = [0] * len(days)
        plates: list[set[str]] = [set() for _ in days]
        for ts, direction, plate, rank in rows:
            i = bisect_right(bounds, int(ts)) - 1
            ranks[i] = max(ranks[i], int(rank))
            if direction == "in":
                entries[i] += 1
                plates[i].add(plate)
        return [
            {
                "date": x.isoformat(),
                "entries": entries[i],
                "vehicles": len(plates[i]),
                "level": LEVELS[ranks[i]] if ranks[i] >= 0 else "none",
            }
            for i, x in enumerate(days)
        ]

    per_day = await hub.async_add_executor_job(tally)

    def summary(items: list[dict[str, Any]]) -> dict[str, Any]:
        n = len(items)
        return {
            "days": n,
            "avg_entries": round(sum(i["entries"] for i in items) / n, 1) if n else None,
            "avg_vehicles": round(sum(i["vehicles"] for i in items) / n, 1) if n else None,
            "dates": [i["date"] for i in items],
        }

    return {
        "report": "averages", "start": start.isoformat(), "end": end.isoformat(), "per_day": per_day,
        "normal": summary([i for i in per_day if i["level"] == "normal"]),
        "alert": summary([i for i in per_day if i["level"] in LEVELS[1:]]),
        "empty_days": sum(i["level"] == "none" for i in per_day),
    }  # fmt: skip


async def _records_by_seq(ledger: Any, seqs: list[int]) -> list[dict[str, Any]]:
    if not seqs:
        return []
    marks = ", ".join("?" for _ in seqs)
    _, rows = await ledger.conn.execute_query(
        ledger.sql(f"SELECT {SELECT_LIST} FROM ledger_record WHERE seq IN ({marks}) ORDER BY seq"), seqs
    )
    items = [record_dict(r) for r in rows]
    await async_merge_followups(ledger.conn, ledger.dialect, items)
    return items


async def async_sample(ledger: Any, d: ReportRequest) -> dict[str, Any]:
    """N passages at random from the days given (default: the last 30), each checked for completeness."""
    hub, tz = ledger.hub, ledger.hub.clock.tz
    end = d.end or _today(hub)
    start = d.start or end - timedelta(days=29)
    _, rows = await ledger.conn.execute_query(
        ledger.sql("SELECT seq FROM ledger_record WHERE kind = ? AND recorded_ts >= ? AND recorded_ts < ?"),
        [KIND_PASSAGE, day_bounds(start, tz)[0], day_bounds(end, tz)[1]],
    )
    population = [int(r[0]) for r in rows]
    # Not predictable by whoever keeps the ledger, unless the inspector asks to repeat a draw (seed).
    # The seed drawn is returned, so that the download repeats the very draw that was on screen.
    seed = d.seed if d.seed is not None else random.SystemRandom().randrange(2**31)
    draw = random.Random(seed)
    chosen = sorted(draw.sample(population, min(d.size, len(population))))
    items = await _records_by_seq(ledger, chosen)

    shas = [sha for item in items for kind in ("plate", "scene") if (sha := item.get(f"photo_{kind}"))]
    states = await ledger.async_photo_states(shas)
    for item in items:
        missing = [f for f in REQUIRED_FIELDS if item.get(f) in (None, "")]
        photos = {}
        for kind in ("plate", "scene"):
            sha = item.get(f"photo_{kind}")
            photos[kind] = {"sha256": sha, "state": states[sha] if sha else "missing"}
            if sha and photos[kind]["state"] != "ok":
                missing.append(f"photo_{kind}:{photos[kind]['state']}")
        item.update(missing=missing, complete=not missing, photo_check=photos)
    return {
        "report": "sample", "start": start.isoformat(), "end": end.isoformat(), "population": len(population),
        "size": len(items), "seed": seed, "items": items,
        "complete": sum(i["complete"] for i in items),
    }  # fmt: skip


async def async_window(ledger: Any, d: ReportRequest) -> dict[str, Any]:
    assert d.at is not None
    at = d.at if d.at.tzinfo else d.at.replace(tzinfo=ledger.hub.clock.tz)
    end = at + timedelta(minutes=d.minutes)
    q = PassageQuery(start=at, end=end, gate=d.gate, lane=d.lane, sort="recorded_at", page_size=500)
    found = await async_query_passages(ledger.conn, ledger.dialect, q)
    return {
        "report": "window", "start": at.isoformat(), "end": end.isoformat(), "gate": d.gate, "lane": d.lane,
        "minutes": d.minutes, "total": found["total"], "items": found["items"],
    }  # fmt: skip


REPORTS = {"counts": async_counts, "averages": async_averages, "sample": async_sample, "window": async_window}


# ----- export ---------------------------------------------------------------------------------------
PASSAGE_COLUMNS = (
    ("seq", "序号"), ("recorded_at", "记录时间"), ("gate", "门岗"), ("lane", "车道"), ("direction", "方向"),
    ("plate", "车牌号码"), ("colour", "车牌颜色"), ("vehicle_class", "车辆类别"),
    ("emission_stage", "排放阶段"),
    ("fuel", "燃料类型"), ("fleet", "车队名称"), ("decision", "判定"), ("reason_text", "原因"),
    ("alert_level", "预警等级"), ("released", "特批放行"), ("weight_kg", "重量(kg)"),
    ("photo_plate", "车牌照片SHA256"), ("photo_scene", "场景照片SHA256"), ("rfid", "电子标签"),
    ("passage_id", "通行编号"),
)  # fmt: skip
_DIRECTION = {"in": "入厂", "out": "出厂"}
_DECISION = {"allow": "放行", "deny": "禁止", "review": "待复核"}
_CLASS = {
    "transport": "进出厂运输车辆",
    "in_plant": "厂内运输车辆",
    "machinery": "非道路移动机械",
    "unknown": "未登记",
}
_GROUPS = {"by_stage": "排放阶段", "by_class": "车辆类别", "by_fuel": "燃料类型", "by_decision": "判定结果"}
# A group's item by its name, as the page shows it; the code (HJ 1321 stage, GA 24.9 fuel letter) stays
# in a column of its own for the tools that read the file.
_NAMES = {"by_stage": STAGE_LABELS, "by_class": _CLASS, "by_fuel": FUEL_LABELS, "by_decision": _DECISION}
# A sample's missing items (`fuel`, `photo_plate`, `photo_scene:changed`) by name, as the page shows them.
_MISSING = {
    **dict(PASSAGE_COLUMNS),
    "photo_plate": "车牌照片",
    "photo_scene": "场景照片",
}
_PHOTO_STATE = {"missing": "文件缺失", "changed": "文件已被改动"}
_TITLES = {
    "counts": "通行统计",
    "averages": "正常日与预警日日均车辆数",
    "sample": "台账抽查",
    "window": "视频比对时段通行记录",
}


def _passage_cells(item: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    for key, _ in PASSAGE_COLUMNS:
        value: Any = item.get(key)  # a column of any type; the label maps take the codes they know
        if key == "direction":
            value = _DIRECTION.get(value, value)
        elif key == "decision":
            value = _DECISION.get(value, value)
        elif key == "vehicle_class":
            value = _CLASS.get(value, value)
        elif key == "alert_level":
            value = LEVEL_LABELS.get(value, value)
        elif key == "released":
            value = "是" if value else "否"
        out.append(value)
    return out


def _missing_text(missing: list[str]) -> str:
    words = []
    for item in missing:
        name, _, state = item.partition(":")
        word = _MISSING.get(name, name)
        words.append(f"{word}（{_PHOTO_STATE.get(state, state)}）" if state else word)
    return "、".join(words)


def report_table(result: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    """A report as a header row and data rows (Chinese headers)."""
    kind = result["report"]
    if kind == "counts":
        rows: list[list[Any]] = [
            ["合计", "入厂", result["entries"], ""], ["合计", "出厂", result["exits"], ""],
            ["合计", "特批放行", result["released"], ""],
        ]  # fmt: skip
        for group, label in _GROUPS.items():
            for key, n in result[group].items():
                name = _NAMES[group].get(key) or ("未知" if key == "unknown" else key)
                rows.append([label, name, n, key])
        return ["分类", "项目", "车次", "代码"], rows
    if kind == "averages":
        rows = [
            [i["date"], LEVEL_LABELS.get(i["level"], i["level"]), i["entries"], i["vehicles"]]
            for i in result["per_day"]
        ]
        for key, label in (("normal", "正常日平均"), ("alert", "预警日平均")):
            s = result[key]
            rows.append([f"{label}（{s['days']}天）", "", s["avg_entries"], s["avg_vehicles"]])
        return ["日期", "当日预警等级", "入厂车次", "入厂车辆数"], rows
    headers = [h for _, h in PASSAGE_COLUMNS]
    if kind == "sample":
        return [*headers, "是否完整", "缺项"], [
            [*_passage_cells(i), "完整" if i["complete"] else "不完整", _missing_text(i["missing"])]
            for i in result["items"]
        ]
    return headers, [_passage_cells(i) for i in result["items"]]


def build_file(fmt: str, title: str, subtitle: str, headers: list[str], rows: list[list[Any]]) -> bytes:
    """Blocking: run in the executor. The sheet starts with the plant and period lines, then the table."""
    if fmt == "csv":
        text = io.StringIO()
        writer = csv.writer(text)
        writer.writerow([title])
        writer.writerow([subtitle])
        writer.writerow(headers)
        writer.writerows([csv_text(v) for v in row] for row in rows)
        return ("\ufeff" + text.getvalue()).encode("utf-8")  # BOM: Excel opens it as UTF-8
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([title])
    sheet.append([subtitle])
    sheet.append(headers)
    for cell in sheet[1] + sheet[3]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            keep_text(cell)  # a plate like =1+2 stays text
    sheet.freeze_panes = "A4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def async_export(ledger: Any, d: ExportRequest) -> dict[str, Any]:
    hub = ledger.hub
    plant = hub.core_config.name
    if d.report is not None:
        result = await REPORTS[d.report.report](ledger, d.report)
        headers, rows = report_table(result)
        title = _TITLES[d.report.report]
        period = f"{result['start'][:19]} 至 {result['end'][:19]}".replace("T", " ")
    else:
        assert d.query is not None
        items: list[dict[str, Any]] = []
        query = d.query.model_copy(update={"page": 1, "page_size": 500})
        while len(items) < MAX_EXPORT_ROWS:
            found = await async_query_passages(ledger.conn, ledger.dialect, query)
            items += found["items"]
            if len(items) >= found["total"] or not found["items"]:
                break
            query = query.model_copy(update={"page": query.page + 1})
        headers, rows = [h for _, h in PASSAGE_COLUMNS], [_passage_cells(i) for i in items]
        title = "通行记录"
        start = d.query.start.isoformat(sep=" ")[:19] if d.query.start else "…"
        end = d.query.end.isoformat(sep=" ")[:19] if d.query.end else "…"
        period = f"{start} 至 {end}"
    subtitle = f"{plant} · {period} · 导出时间 {hub.now().isoformat(sep=' ')[:19]}"
    content = await hub.async_add_executor_job(build_file, d.format, title, subtitle, headers, rows)
    stamp = hub.now().strftime("%Y%m%d_%H%M%S")
    return {
        "filename": f"{title}_{stamp}.{d.format}",
        "content_type": XLSX_TYPE if d.format == "xlsx" else CSV_TYPE,
        "content": content, "rows": len(rows),
    }  # fmt: skip


def register_reports(hub: Hub, ledger: Any) -> None:
    async def report(call: ServiceCall) -> dict[str, Any]:
        d: ReportRequest = call.data
        return await REPORTS[d.report](ledger, d)

    async def export(call: ServiceCall) -> dict[str, Any]:
        return await async_export(ledger, call.data)

    hub.services.async_register(
        DOMAIN, "report", report, ReportRequest, roles=REPORT_ROLES,
        description="检查报表 counts, normal/alert day averages, a random sample, a video window",
    )  # fmt: skip
    hub.services.async_register(
        DOMAIN, "export", export, ExportRequest, roles=REPORT_ROLES,
        description="导出Excel export a report or a passage search (.xlsx/.csv)",
    )  # fmt: skip
