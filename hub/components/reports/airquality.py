"""The air-quality report (`air_quality`): how much of the fence's concentration follows the gate's
traffic, per station, from the insight component's correlation (its method named, the share with its
uncertainty, per day and month) with its charts as pictures in the workbook.

Reports and insight are rooms of their own: this asks insight's services (`insight.stations`,
`insight.correlation`, `insight.chart`) and never reads its tables.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from hub.core import ServiceValidationError

from .const import DOMAIN
from .period import Period
from .sheets import Column

if TYPE_CHECKING:
    from .export import Writer

CHARTS = ("series", "lag", "daily", "monthly")
PERCENT = "0.00%"
SHARE_COLUMNS = [
    Column("微站", 16), Column("时段", 12), Column("小时数", 8, "0"), Column("车流贡献率", 11, PERCENT),
    Column("标准误", 9, PERCENT), Column("95%下限", 9, PERCENT), Column("95%上限", 9, PERCENT),
    Column("平均浓度", 10, "0.0"),
]  # fmt: skip


def _share_row(station: str, period: str, fit: dict[str, Any]) -> list[Any]:
    low, high = fit["share_95"]
    return [station, period, fit["hours"], fit["traffic_share"], fit["share_se"], low, high,
            fit["mean_concentration"]]  # fmt: skip


async def write_air_quality(w: Writer, period: Period, req: Any) -> None:
    hub = w.rt.hub
    if not hub.services.has_service("insight", "correlation"):
        raise ServiceValidationError(
            DOMAIN, "export", [("kind", "遥感关联与异常未配置 the insight component is not configured")]
        )
    tz = hub.clock.tz
    start = datetime.combine(period.first, time(), tzinfo=tz)
    span = {"start": start.isoformat(), "end": (start + timedelta(days=len(period.days))).isoformat()}
    stations = (await hub.services.async_call("insight", "stations", span))["stations"]
    answers = []
    for station in stations:
        query = {**span, "station": station["station"], "factor": "pm25" if "pm25" in station["factors"]
                 else station["factors"][0]}  # fmt: skip
        answers.append((query, await hub.services.async_call("insight", "correlation", query)))
    summary, days = [], []
    for query, answer in answers:
        fit = answer["result"]
        if fit is None:
            summary.append([query["station"], query["factor"], *[None] * 6, answer["reason"]])
            continue
        low, high = fit["share_95"]
        summary.append([query["station"], query["factor"], fit["hours"], fit["lag_hours"], fit["r2"],
                        fit["traffic_share"], low, high, answer["method"]])  # fmt: skip
        days += [_share_row(query["station"], m["period"], m) for m in answer.get("by_month", [])]
        days += [_share_row(query["station"], d["period"], d) for d in answer.get("by_day", [])]
    await w.table("车流贡献", [
        Column("微站", 16), Column("因子", 8), Column("小时数", 8, "0"), Column("滞后(小时)", 9, "0"),
        Column("R²", 7, "0.000"), Column("车流贡献率", 11, PERCENT), Column("95%下限", 9, PERCENT),
        Column("95%上限", 9, PERCENT), Column("方法", 80),
    ], summary)  # fmt: skip
    await w.table("逐日逐月", SHARE_COLUMNS, days)
    if w.book.fmt != "xlsx":
        return  # a CSV holds no pictures
    run = hub.async_add_executor_job
    for query, answer in answers:
        if answer["result"] is None:
            continue
        await run(w.book.sheet, f"图表 {query['station']}"[:31], w.header, [Column("", 12)])
        for n, chart in enumerate(CHARTS):
            image = await hub.services.async_call("insight", "chart", {**query, "chart": chart})
            await run(w.book.picture, image["data"], f"A{len(w.header) + 5 + n * 23}")
