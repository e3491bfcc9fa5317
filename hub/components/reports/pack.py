"""Performance-grade evidence pack (绩效分级证据包): for a period, one .xlsx and a print-friendly HTML page
with the clean-transport ratio, the stage shares of road transport, in-plant vehicles and machinery,
the interception log, the alert periods, upload rates per platform and day, and the chain head hash with
`ledger verify`'s result, so that a reviewer can check that nothing was altered."""

from __future__ import annotations

import hashlib
import html
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from hub.core import Context
from hub.util.files import write_atomic

from .const import KIND_PASSAGE, LEVEL_LABELS, MODE_LABELS, ROAD_CLASS_LABELS
from .export import PERCENT, TONNES, Writer, stage_label
from .period import Period
from .sheets import Column, ReportBook

if TYPE_CHECKING:
    from .reporter import Reports

Table = tuple[str, list[Column], list[list[Any]]]


async def async_verify(rt: Reports) -> dict[str, Any]:
    """`ledger verify` of both chains (photos are checked by `ecogate ledger verify`, not here)."""
    if not rt.hub.services.has_service("ledger", "verify"):
        return {"ok": None, "summary": "未校验 ledger not loaded"}
    result = await rt.hub.services.async_call("ledger", "verify", {"evidence": False})
    bad = [c for c in result["chains"] if not c.get("ok")]
    return {
        "ok": result["ok"],
        "summary": "校验通过 chains intact" if result["ok"] else str(bad[0]),
        "chains": result["chains"],
    }


async def async_upload_rates(rt: Reports, period: Period) -> list[list[Any]]:
    if not rt.hub.services.has_service("uplink", "status"):
        return []
    rows = []
    day = period.first
    while day <= period.last and day <= rt.hub.now().date():
        status = await rt.hub.services.async_call("uplink", "status", {"date": day.isoformat()})
        for platform in status["platforms"]:
            for d in platform.get("days") or []:
                rows.append(
                    [
                        platform.get("title") or platform.get("name"),
                        d["date"],
                        d["due"],
                        d["acknowledged"],
                        d["rejected"],
                        d["pending"],
                        None if d["upload_rate"] is None else d["upload_rate"] / 100,
                        None if d["on_time_rate"] is None else d["on_time_rate"] / 100,
                    ]
                )
        day += timedelta(days=1)
    return rows


async def async_interceptions(rt: Reports, period: Period) -> list[list[Any]]:
    start, end = period.bounds(rt.hub.clock.tz)
    released = (
        "EXISTS (SELECT 1 FROM ledger_record r WHERE r.passage_id = p.passage_id AND r.kind = 'release')"
    )
    rows = await rt.reader.rows(
        f"SELECT p.seq, p.recorded_at, p.gate, p.lane, p.plate, p.vehicle_class, p.emission_stage, p.fuel, "
        f"p.reason_code, {rt.reader.json_text('p.data', 'reason_text')}, "
        f"CASE WHEN {released} THEN 1 ELSE 0 END "
        "FROM ledger_record p WHERE p.kind = ? AND p.recorded_ts >= ? AND p.recorded_ts < ? "
        "AND p.decision = 'deny' ORDER BY p.seq",
        [KIND_PASSAGE, start, end],
    )
    return [[*r[:10], "是" if r[10] else "否"] for r in rows]


async def async_tables(rt: Reports, period: Period) -> tuple[list[Table], dict[str, Any]]:
    clean = await rt.clean_transport(period)
    stats = await rt.statistics(period, None, None)
    verify = await async_verify(rt)
    head = await rt.async_chain_head()
    yes = {True: "是", False: "否", None: ""}
    summary = [
        ["清洁运输比例（不含新能源汽车）", clean["ratio_without_new_energy"]],
        ["清洁运输比例（含新能源汽车）", clean["ratio_with_new_energy"]],
        ["目标", clean["target"]],
        [
            "是否达标（不含/含新能源）",
            f"{yes[clean['met_without_new_energy']]}/{yes[clean['met_with_new_energy']]}",
        ],
        ["台账链头", f"#{head['seq']} {head['hash']}" if head else ""],
        ["台账校验结果 ledger verify", verify["summary"]],
    ]
    road = [[f"公路 {ROAD_CLASS_LABELS[k]}", v["total"]] for k, v in clean["road"].items()]
    road += [[MODE_LABELS[m], t] for m, t in clean["other_modes"].items()]
    entries = sum(v["in"] for k, v in stats["by_stage"].items())
    tonnes = sum(v["in"] + v["out"] for v in stats["tonnage"]["by_stage"].values())
    shares = []
    for key, v in stats["by_stage"].items():
        t = stats["tonnage"]["by_stage"].get(key, {"in": 0.0, "out": 0.0})
        shares.append(
            [
                stage_label(key),
                v["in"],
                v["in"] / entries if entries else None,
                t["in"] + t["out"],
                (t["in"] + t["out"]) / tonnes if tonnes else None,
            ]
        )
    plant = []
    for key, label in (("in_plant", "厂内运输车辆"), ("machinery", "非道路移动机械")):
        x = stats[key]
        plant += [[label, stage_label(k), n] for k, n in x["by_stage"].items()]
        plant.append([label, "预警期间可用占比", x["share_usable_in_alert"]])
    alerts = await rt.alerts(period)
    alert_rows = [
        [
            LEVEL_LABELS.get(a["level"], a["level"]),
            a["response_level"],
            a["measure"],
            a["start"],
            a["end"],
            a["switched_by"],
            a["door"],
            a["passed"]["in"],
            sum(d["count"] for d in a["denied"]),
            len(a["violations"]),
        ]
        for a in alerts["periods"]
    ]
    tables: list[Table] = [
        ("概要", [Column("项目", 34), Column("值", 80)], summary),
        ("运输方式", [Column("运输方式", 24), Column("吨", 14, TONNES)], road),
        (
            "排放阶段占比",
            [
                Column("排放阶段", 16),
                Column("入厂车次", 9, "0"),
                Column("车次占比", 9, PERCENT),
                Column("运输量(吨)", 12, TONNES),
                Column("运输量占比", 9, PERCENT),
            ],
            shares,
        ),
        ("厂内车辆与机械", [Column("类别", 14), Column("排放阶段", 20), Column("数量/占比", 10)], plant),
        (
            "拦截记录",
            [
                Column("序号", 9),
                Column("时间", 20),
                Column("门岗", 10),
                Column("车道", 8),
                Column("车牌号码", 11),
                Column("类别", 10),
                Column("排放阶段", 6),
                Column("燃料", 6),
                Column("原因代码", 16),
                Column("原因", 30),
                Column("特批放行", 6),
            ],
            await async_interceptions(rt, period),
        ),
        (
            "预警期间",
            [
                Column("预警等级", 10),
                Column("响应级别", 8),
                Column("措施", 24),
                Column("开始", 20),
                Column("结束", 20),
                Column("切换人", 10),
                Column("途径", 8),
                Column("入厂放行", 8, "0"),
                Column("禁止", 8, "0"),
                Column("违规通行", 8, "0"),
            ],
            alert_rows,
        ),
        (
            "上传率",
            [
                Column("平台", 16),
                Column("日期", 11),
                Column("应传", 8, "0"),
                Column("已确认", 8, "0"),
                Column("拒收", 8, "0"),
                Column("待传", 8, "0"),
                Column("上传率", 9, PERCENT),
                Column("及时率", 9, PERCENT),
            ],
            await async_upload_rates(rt, period),
        ),
    ]
    return tables, {"verify": verify, "head": head}


def render_html(title: str, header: list[tuple[str, Any]], tables: list[Table]) -> bytes:
    """A page that prints on A4 landscape, with no script and nothing fetched."""
    esc = html.escape

    def cell(value: Any, column: Column) -> str:
        if value is None:
            return ""
        if column.number_format == PERCENT and isinstance(value, int | float):
            return f"{value * 100:.2f}%"
        if column.number_format == TONNES and isinstance(value, int | float):
            return f"{value:.1f}"
        return esc(str(value))

    parts = [
        "<!doctype html><html lang='zh-CN'><meta charset='utf-8'>",
        f"<title>{esc(title)}</title><style>@page{{size:A4 landscape;margin:12mm}}"
        "body{font:12px sans-serif}"
        "table{border-collapse:collapse;margin:0 0 16px}th,td{border:1px solid #999;padding:2px 6px}"
        "th{background:#eee}h2{page-break-before:auto}thead{display:table-header-group}</style>",
        f"<h1>{esc(title)}</h1><table>",
        *(f"<tr><th>{esc(k)}</th><td>{esc(str(v))}</td></tr>" for k, v in header),
        "</table>",
    ]
    for name, columns, rows in tables:
        parts.append(f"<h2>{esc(name)}</h2><table><thead><tr>")
        parts += [f"<th>{esc(c.heading)}</th>" for c in columns]
        parts.append("</tr></thead><tbody>")
        for row in rows:
            parts.append(
                "<tr>" + "".join(f"<td>{cell(v, c)}</td>" for v, c in zip(row, columns, strict=False))
            )
        parts.append("</tbody></table>")
    return "".join(parts).encode("utf-8")


async def async_evidence_pack(
    rt: Reports, period: Period, context: Context, name: str
) -> tuple[int, str, int]:
    title = "绩效分级证据包"
    header = await rt.async_header(title, period, context)
    tables, _ = await async_tables(rt, period)
    run = rt.hub.async_add_executor_job
    book = await run(ReportBook, rt.folder / name, "xlsx")
    writer = Writer(rt, book, header)
    try:
        for sheet, columns, rows in tables:
            await writer.table(sheet, columns, rows)
        size, digest = await run(book.close)
    except BaseException:
        await run(book.abort)
        raise
    page = render_html(title, header, tables)
    html_name = name.rsplit(".", 1)[0] + ".html"
    await run(write_atomic, rt.folder / html_name, page)
    await rt.async_record(
        html_name, "evidence_pack", period, context, len(page), hashlib.sha256(page).hexdigest(), book.rows
    )
    return size, digest, book.rows
