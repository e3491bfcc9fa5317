"""Report files: each kind written sheet by sheet into a `ReportBook` in the executor, passages streamed
chunk by chunk from the database (a month of a busy plant never sits in memory)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from hub.util.code_lists import FUEL_LABELS, STAGE_LABELS

from .airquality import write_air_quality
from .const import (
    CLASS_LABELS,
    FAMILY_LABELS,
    LEVEL_LABELS,
    MODE_LABELS,
    ROAD_CLASS_LABELS,
)
from .counts import Scope
from .db import day_of
from .facts import async_passages, cargo_tonnes
from .period import Period
from .sheets import Column, ReportBook
from .tables import DAILY_TABLE, PASSAGE_TABLE, REGISTER_TABLES, daily_row, passage_row

if TYPE_CHECKING:
    from .reporter import Reports

Header = Sequence[tuple[str, Any]]
TONNES = "0.0"
PERCENT = "0.00%"


def stage_label(key: str) -> str:
    """`5/diesel` -> `国五柴油(5)`."""
    stage, _, family = key.partition("/")
    return f"{STAGE_LABELS.get(stage, stage)}{FAMILY_LABELS.get(family, '')}({stage})"


class Writer:
    """Runs the book's blocking calls in the executor."""

    def __init__(self, rt: Reports, book: ReportBook, header: Header) -> None:
        self.rt, self.book, self.header = rt, book, header

    async def table(self, title: str, columns: Sequence[Column], rows: list[list[Any]]) -> None:
        run = self.rt.hub.async_add_executor_job
        await run(self.book.sheet, title, self.header, columns)
        await run(self.book.append, rows)


def _inout_rows(group: str, table: dict[str, dict[str, int]], label: Callable[[str], str]) -> list[list[Any]]:
    return [[group, label(k), v["in"], v["out"]] for k, v in table.items()]


async def write_statistics(w: Writer, period: Period, req: Any) -> None:
    s = await w.rt.statistics(period, req.gate, req.lane)
    t = s["totals"]
    count = Column("次数", 9, "0")
    await w.table(
        "汇总",
        [Column("项目", 24), count],
        [
            ["入厂车次", t["in"]],
            ["出厂车次", t["out"]],
            ["放行", t["allow"]],
            ["禁止", t["deny"]],
            ["待复核", t["review"]],
            ["特批放行", t["released"]],
            ["车牌更正", t["corrections"]],
            ["未备案车辆(辆)", s["unregistered"]["vehicles"]],
            ["未备案车辆通行(次)", s["unregistered"]["passages"]],
            ["车次(进出配对)", s["trips"]["count"]],
            ["平均在厂时长(分钟)", s["trips"]["dwell_avg_min"]],
            ["入厂运输量(吨)", s["tonnage"]["in"]],
            ["出厂运输量(吨)", s["tonnage"]["out"]],
        ],
    )
    rows = _inout_rows("车辆类别", s["by_class"], lambda k: f"{CLASS_LABELS.get(k, k)}({k})")
    rows += _inout_rows("排放阶段", s["by_stage"], stage_label)
    rows += _inout_rows("燃料类型", s["by_fuel"], lambda k: f"{FUEL_LABELS.get(k, k)}({k})")
    rows += _inout_rows("车辆类型", s["by_vehicle_type"], str)
    rows += _inout_rows("车牌颜色", s["by_colour"], str)
    await w.table(
        "分类统计",
        [Column("分类", 10), Column("项目", 24), Column("入厂", 9, "0"), Column("出厂", 9, "0")],
        rows,
    )
    await w.table(
        "车道",
        [
            Column("门岗", 12),
            Column("车道", 10),
            Column("入厂", 9, "0"),
            Column("出厂", 9, "0"),
            Column("放行", 9, "0"),
            Column("禁止", 9, "0"),
        ],
        [[x["gate"], x["lane"], x["in"], x["out"], x["allow"], x["deny"]] for x in s["by_lane"]],
    )
    await w.table(
        "禁止原因",
        [Column("原因代码", 18), Column("原因", 40), count],
        [[d["reason_code"], d["reason_text"], d["count"]] for d in s["denied_by_reason"]],
    )
    await w.table(
        "特批放行",
        [
            Column("序号", 9),
            Column("时间", 20),
            Column("车牌号码", 11),
            Column("门岗", 10),
            Column("放行人", 12),
            Column("审批人", 12),
            Column("原因", 40),
        ],
        [
            [
                r["seq"],
                r["recorded_at"],
                r["plate"],
                r["gate"],
                w.rt.username(r["released_by"]),
                r["approver"],
                r["release_reason"],
            ]
            for r in s["releases"]
        ],
    )
    await w.table(
        "车牌更正",
        [
            Column("序号", 9),
            Column("时间", 20),
            Column("识别车牌", 11),
            Column("更正为", 11),
            Column("更正人", 12),
            Column("原因", 40),
        ],
        [
            [r["seq"], r["recorded_at"], r["from"], r["to"], w.rt.username(r["corrected_by"]), r["reason"]]
            for r in s["corrections"]
        ],
    )
    await w.table(
        "未备案车辆",
        [
            Column("车牌号码", 11),
            Column("通行次数", 9, "0"),
            Column("禁止次数", 9, "0"),
            Column("首次", 20),
            Column("末次", 20),
        ],
        [[u["plate"], u["passages"], u["denied"], u["first"], u["last"]] for u in s["unregistered"]["items"]],
    )
    rows = []
    for key, label in (("in_plant", "厂内运输车辆"), ("machinery", "非道路移动机械")):
        x = s[key]
        rows.append([label, "在用(辆/台)", x["vehicles"]])
        rows += [[label, stage_label(k), n] for k, n in x["by_stage"].items()]
        rows.append([label, "预警期间可用占比", x["share_usable_in_alert"]])
    await w.table("厂内车辆与机械", [Column("类别", 14), Column("项目", 24), Column("数量/占比", 10)], rows)
    ton = s["tonnage"]
    rows = [["货物", k, v["in"], v["out"]] for k, v in ton["by_cargo"].items()]
    rows += [["排放阶段", stage_label(k), v["in"], v["out"]] for k, v in ton["by_stage"].items()]
    await w.table(
        "运输量",
        [
            Column("分类", 10),
            Column("项目", 20),
            Column("入厂(吨)", 11, TONNES),
            Column("出厂(吨)", 11, TONNES),
        ],
        rows,
    )
    await w.table(
        "每日",
        [
            Column("日期", 11),
            Column("入厂", 8, "0"),
            Column("出厂", 8, "0"),
            Column("放行", 8, "0"),
            Column("禁止", 8, "0"),
            Column("特批放行", 8, "0"),
            Column("车次", 8, "0"),
            Column("入厂(吨)", 10, TONNES),
            Column("出厂(吨)", 10, TONNES),
        ],
        [
            [
                d["date"],
                d["in"],
                d["out"],
                d["allow"],
                d["deny"],
                d["released"],
                d["trips"],
                d["tonnes_in"],
                d["tonnes_out"],
            ]
            for d in s["days"]
        ],
    )


async def write_passages(w: Writer, period: Period, req: Any) -> None:
    rt = w.rt
    run = rt.hub.async_add_executor_job
    await run(w.book.sheet, "每车次台账", w.header, PASSAGE_TABLE)
    start, end = period.bounds(rt.hub.clock.tz)
    n = 0
    async for chunk in async_passages(rt.reader, start, end, gate=req.gate, lane=req.lane, detail=True):
        rows = []
        for p in chunk:
            n += 1
            p["tonnes"] = cargo_tonnes(p.get("cargo"))
            rows.append(passage_row(p, n, rt.photo_url))
        await run(w.book.append, rows)


async def write_daily(w: Writer, period: Period, req: Any) -> None:
    s = await w.rt.statistics(period, req.gate, req.lane)
    scope = Scope(w.rt.reader, period, req.gate, req.lane)
    stages: dict[str, dict[str, int]] = {}
    for day, stage, n in await scope.group(f"{scope.day}, emission_stage", " AND direction = 'in'"):
        stages.setdefault(day_of(day).isoformat(), {})[stage or ""] = int(n)
    await w.table("日统计", DAILY_TABLE, [daily_row(d, stages.get(d["date"], {})) for d in s["days"]])


async def write_clean(w: Writer, period: Period, req: Any) -> None:
    c = await w.rt.clean_transport(period, with_passages=True)
    t = Column("吨", 12, TONNES)
    rows: list[list[Any]] = [
        [f"公路 {ROAD_CLASS_LABELS[k]}", v["in"], v["out"], v["total"]] for k, v in c["road"].items()
    ]
    rows += [[MODE_LABELS[m], None, None, x] for m, x in c["other_modes"].items()]
    rows += [["合计", None, None, c["total"]]]
    await w.table(
        "运输量",
        [Column("运输方式", 24), Column("入厂(吨)", 12, TONNES), Column("出厂(吨)", 12, TONNES), t],
        rows,
    )
    pct = Column("比例", 10, PERCENT)
    await w.table(
        "清洁运输比例",
        [Column("口径", 40), pct, Column("目标", 10, PERCENT), Column("是否达标", 8)],
        [
            [
                "不含新能源汽车",
                c["ratio_without_new_energy"],
                c["target"],
                "是" if c["met_without_new_energy"] else "否",
            ],
            [
                "含新能源汽车",
                c["ratio_with_new_energy"],
                c["target"],
                "是" if c["met_with_new_energy"] else "否",
            ],
        ],
    )
    await w.table(
        "其他运输方式录入",
        [
            Column("编号", 6),
            Column("运输方式", 12),
            Column("方向", 6),
            Column("开始", 11),
            Column("结束", 11),
            Column("吨", 12, TONNES),
            Column("计入(吨)", 12, TONNES),
            Column("货物", 12),
            Column("来源", 30),
            Column("录入人", 10),
            Column("录入时间", 20),
            Column("更正编号", 8),
        ],
        [
            [
                e["id"],
                MODE_LABELS.get(e["mode"], e["mode"]),
                e["direction"],
                e["start"],
                e["end"],
                e["tonnes"],
                e["counted"],
                e["cargo"],
                e["source"],
                w.rt.username(e["entered_by"]),
                e["entered_at"],
                e["replaces"],
            ]
            for e in c["entries"]
        ],
    )
    rows = [
        [
            ROAD_CLASS_LABELS[k],
            p["seq"],
            p["recorded_at"],
            p["plate"],
            p["direction"],
            p["emission_stage"],
            p["fuel"],
            p["fleet"],
            p["tonnes"],
            p["tonnage_source"],
        ]
        for k, items in (c["passages"] or {}).items()
        for p in items
    ]
    await w.table(
        "公路运输明细",
        [
            Column("分类", 10),
            Column("序号", 9),
            Column("时间", 20),
            Column("车牌号码", 11),
            Column("方向", 6),
            Column("排放阶段", 6),
            Column("燃料", 6),
            Column("车队", 20),
            Column("吨", 10, TONNES),
            Column("来源", 10),
        ],
        rows,
    )


async def write_alerts(w: Writer, period: Period, req: Any) -> None:
    a = await w.rt.alerts(period)
    rows, broke = [], []
    for n, p in enumerate(a["periods"], 1):
        denied = "；".join(f"{d['reason_text'] or d['reason_code']}×{d['count']}" for d in p["denied"])
        rows.append(
            [
                n,
                LEVEL_LABELS.get(p["level"], p["level"]),
                p["response_level"],
                p["measure_code"],
                p["measure"],
                p["start"],
                p["end"],
                p["switched_by"],
                p["door"],
                p["source"],
                p["passed"]["in"],
                p["passed"]["out"],
                sum(d["count"] for d in p["denied"]),
                denied,
                len(p["violations"]),
                p["violations_released"],
            ]
        )
        broke += [
            [
                n,
                v["seq"],
                v["recorded_at"],
                v["plate"],
                v["vehicle_class"],
                v["emission_stage"],
                v["fuel"],
                v["decision"],
                v["rule"],
                "是" if v["released"] else "否",
            ]
            for v in p["violations"]
        ]
    await w.table(
        "预警期间",
        [
            Column("序号", 5),
            Column("预警等级", 10),
            Column("响应级别", 8),
            Column("管控措施", 8),
            Column("措施内容", 24),
            Column("开始", 20),
            Column("结束", 20),
            Column("切换人", 10),
            Column("途径", 8),
            Column("来源", 8),
            Column("入厂放行", 8, "0"),
            Column("出厂放行", 8, "0"),
            Column("禁止", 8, "0"),
            Column("禁止原因", 30),
            Column("违规通行", 8, "0"),
            Column("其中放行", 8, "0"),
        ],
        rows,
    )
    await w.table(
        "违规通行",
        [
            Column("预警序号", 8),
            Column("台账序号", 9),
            Column("时间", 20),
            Column("车牌号码", 11),
            Column("类别", 10),
            Column("排放阶段", 6),
            Column("燃料", 6),
            Column("判定", 6),
            Column("规则", 24),
            Column("特批放行", 6),
        ],
        broke,
    )


async def write_carriers(w: Writer, period: Period, req: Any) -> None:
    c = await w.rt.carriers(period, None)
    rows = [
        [
            x["fleet"],
            x["vehicles"],
            x["passages"],
            x["trips"],
            x["tonnes"],
            x["denied"],
            x["denial_rate"],
            x["share_stage6_or_electric"],
            x["quality_findings"],
            "、".join(f"{stage_label(k)}×{n}" for k, n in x["stage_mix"].items()),
            *_remote_sensing_cells(x.get("remote_sensing")),
        ]
        for x in c["carriers"]
    ]
    await w.table(
        "车队评分",
        [
            Column("车队", 24),
            Column("车辆", 6, "0"),
            Column("通行", 8, "0"),
            Column("车次", 8, "0"),
            Column("运输量(吨)", 11, TONNES),
            Column("禁止", 6, "0"),
            Column("禁止率", 8, PERCENT),
            Column("国六及新能源占比", 10, PERCENT),
            Column("数据质量问题", 8, "0"),
            Column("排放阶段构成", 40),
            Column("遥感读数", 8, "0"),
            Column("遥感超标", 8, "0"),
            Column("遥感超标率", 9, PERCENT),
            Column("遥感NO/不透光度均值(按阶段)", 36),
        ],
        rows,
    )


def _remote_sensing_cells(figures: dict[str, Any] | None) -> list[Any]:
    """A scorecard's remote-sensing columns (insight.carriers); empty where insight is not loaded."""
    if figures is None:
        return [None, None, None, None]
    means = "、".join(
        f"{STAGE_LABELS.get(stage, stage or '?')} NO {s['mean_no']}/{s['mean_opacity']}%"
        for stage, s in sorted(figures["stages"].items())
    )
    return [figures["readings"], figures["exceedances"], figures["exceedance_share"], means]


def register_writer(vclass: str) -> Callable[[Writer, Period, Any], Awaitable[None]]:
    async def write(w: Writer, period: Period, req: Any) -> None:
        columns, row = REGISTER_TABLES[vclass]
        run = w.rt.hub.async_add_executor_job
        await run(w.book.sheet, f"{CLASS_LABELS[vclass]}台账", w.header, columns)
        async for chunk in w.rt.async_register(vclass):
            await run(w.book.append, [row(v) for v in chunk])

    return write


WRITERS: dict[str, Callable[[Writer, Period, Any], Awaitable[None]]] = {
    "statistics": write_statistics,
    "passages": write_passages,
    "daily": write_daily,
    "clean_transport": write_clean,
    "alerts": write_alerts,
    "carriers": write_carriers,
    **{vclass: register_writer(vclass) for vclass in REGISTER_TABLES},
    "air_quality": write_air_quality,
}
TITLES = {
    "statistics": "统计报表",
    "passages": "每车次台账",
    "daily": "日统计",
    "clean_transport": "清洁运输比例",
    "alerts": "应急响应报告",
    "carriers": "车队评分",
    "transport": "进出厂运输车辆台账",
    "in_plant": "厂内运输车辆台账",
    "machinery": "非道路移动机械台账",
    "evidence_pack": "绩效分级证据包",
    "air_quality": "空气质量与车流相关分析",
}
