"""Services: `insight.readings` (readings and their joins), `insight.flagged` (vehicles and carriers over
their limits), `insight.anomalies` (what the rules raised). Read-only; who reads the ledger reads these."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.core import Hub, HubError, ServiceCall, ServiceValidationError
from hub.core.auth import Role
from hub.core.validation import PlausibleDatetime

from . import hourly, store
from .charts import CHARTS, CONTENT_TYPES, draw
from .const import DOMAIN, RULES
from .correlation import correlate
from .models import InsightAnomaly, InsightReading

READERS = {Role.INSPECTOR, Role.OFFICER, Role.GUARD}


class ReadingQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plate: str | None = Field(None, max_length=16)
    fleet: str | None = Field(None, max_length=100)
    exceeded_only: bool = False
    start: PlausibleDatetime | None = None
    end: PlausibleDatetime | None = None
    limit: int = Field(100, ge=1, le=1000)


class FlaggedQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    days: int = Field(30, ge=1, le=366)


class CarrierQuery(FlaggedQuery):
    # A period instead of the last `days` (a report's month, say); a date without an offset is plant time.
    start: PlausibleDatetime | None = None
    end: PlausibleDatetime | None = None


class AnomalyQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rule: Literal[tuple(RULES)] | None = None  # type: ignore[valid-type]  # built at run time; pydantic checks
    open_only: bool = False  # only those no one acknowledged yet
    start: PlausibleDatetime | None = None
    end: PlausibleDatetime | None = None
    limit: int = Field(100, ge=1, le=1000)


class Acknowledge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: int = Field(ge=1, le=2**31 - 1)
    note: str = Field(min_length=1, max_length=500)


class CorrelationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    station: str = Field(min_length=1, max_length=64)
    factor: str = Field("pm25", min_length=1, max_length=32)
    start: PlausibleDatetime
    end: PlausibleDatetime
    max_lag_hours: int = Field(6, ge=0, le=48)
    measure: Literal["count", "tonnage"] = "count"


class ChartQuery(CorrelationQuery):
    chart: Literal[CHARTS] = "series"  # type: ignore[valid-type]  # Literal of a tuple; pydantic checks
    format: Literal["png", "svg"] = "png"
    lang: Literal["zh", "en"] = "zh"


class StationQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: PlausibleDatetime | None = None
    end: PlausibleDatetime | None = None


def _reading(row: InsightReading) -> dict[str, Any]:
    return {
        "reading_id": row.reading_id, "unit": row.unit, "at": row.at, "plate_read": row.plate_read,
        "valid": row.valid, "values": json.loads(row.values), "passage_id": row.passage_id,
        "method": row.method, "plate": row.plate, "fleet": row.fleet, "emission_stage": row.emission_stage,
        "fuel": row.fuel, "exceeded": json.loads(row.exceeded),
    }  # fmt: skip


def register(hub: Hub, flush_hours: Callable[[], Awaitable[None]]) -> None:
    def ts(moment: datetime) -> int:
        """A date without an offset is plant time."""
        return int((moment if moment.tzinfo else moment.replace(tzinfo=hub.clock.tz)).timestamp())

    def newest_in(q: Any, start: datetime | None, end: datetime | None, limit: int) -> Any:
        if start:
            q = q.filter(at_ts__gte=ts(start))
        if end:
            q = q.filter(at_ts__lt=ts(end))
        return q.order_by("-at_ts", "-id").limit(limit)

    async def readings(call: ServiceCall) -> dict[str, Any]:
        d: ReadingQuery = call.data
        q = InsightReading.all()
        if d.plate:
            q = q.filter(plate=d.plate)
        if d.fleet:
            q = q.filter(fleet=d.fleet)
        if d.exceeded_only:
            q = q.exclude(exceeded="{}")
        rows = await newest_in(q, d.start, d.end, d.limit)
        return {"readings": [_reading(r) for r in rows]}

    async def flagged(call: ServiceCall) -> dict[str, Any]:
        d: FlaggedQuery = call.data
        vehicles = await store.async_flagged((hub.now() - timedelta(days=d.days)).timestamp())
        carriers: dict[str, dict[str, Any]] = {}
        for v in vehicles:
            c = carriers.setdefault(v["fleet"] or "", {"fleet": v["fleet"], "vehicles": 0, "exceedances": 0})
            c["vehicles"] += 1
            c["exceedances"] += v["exceedances"]
        return {"vehicles": vehicles, "carriers": list(carriers.values())}

    async def carriers(call: ServiceCall) -> dict[str, Any]:
        d: CarrierQuery = call.data
        since = ts(d.start) if d.start else (hub.now() - timedelta(days=d.days)).timestamp()
        return {"carriers": await store.async_carriers(since, ts(d.end) if d.end else None)}

    async def anomalies(call: ServiceCall) -> dict[str, Any]:
        d: AnomalyQuery = call.data
        q = InsightAnomaly.all()
        if d.rule:
            q = q.filter(rule=d.rule)
        if d.open_only:
            q = q.filter(ack_at__isnull=True)
        rows = await newest_in(q, d.start, d.end, d.limit)
        keys = ("id", "rule", "subject", "at", "summary", "ack_user", "ack_at", "ack_note")
        found = [{**{k: getattr(r, k) for k in keys}, "detail": json.loads(r.detail)} for r in rows]
        return {"anomalies": found}

    async def acknowledge(call: ServiceCall) -> dict[str, Any]:
        d: Acknowledge = call.data
        row = await InsightAnomaly.get_or_none(id=d.id)
        if row is None:
            raise ServiceValidationError(DOMAIN, "acknowledge", [("id", f"no anomaly {d.id}")])
        if row.ack_at is not None:
            raise ServiceValidationError(DOMAIN, "acknowledge", [("id", "already acknowledged")])
        user = hub.auth.get(call.context.user_id) if call.context.user_id else None
        row.ack_user = user.username if user is not None else "hub"
        row.ack_at = hub.now().isoformat(timespec="seconds")
        row.ack_note = d.note
        await row.save(update_fields=["ack_user", "ack_at", "ack_note"])
        return {"id": row.id, "ack_user": row.ack_user, "ack_at": row.ack_at}

    def day_of(hour: int) -> str:
        return datetime.fromtimestamp(hour * 3600, hub.clock.tz).date().isoformat()

    async def async_correlate(d: CorrelationQuery) -> tuple[dict[str, Any], Any, Any]:
        start_ts, end_ts = ts(d.start), ts(d.end)
        if not 0 < end_ts - start_ts <= 400 * 86400:
            raise HubError("时间范围无效 end must follow start, within 400 days")
        await flush_hours()  # the hour under way too
        hours = (start_ts // 3600, end_ts // 3600)
        conc, sectors = await hourly.async_station_series(d.station, d.factor, *hours)
        traffic = await hourly.async_traffic(hub, start_ts - d.max_lag_hours * 3600, end_ts, d.measure)
        answer = await hub.async_add_executor_job(
            correlate, conc, traffic, hourly.GROUPS, d.max_lag_hours, sectors, day_of
        )
        head = {"station": d.station, "factor": d.factor, "measure": d.measure, "groups": list(hourly.GROUPS)}
        return head | answer, conc, traffic

    async def correlation(call: ServiceCall) -> dict[str, Any]:
        answer, _, _ = await async_correlate(call.data)
        return answer

    async def chart(call: ServiceCall) -> dict[str, Any]:
        d: ChartQuery = call.data
        answer, conc, traffic = await async_correlate(d)
        image = await hub.async_add_executor_job(
            draw, d.chart, d.format, answer, conc, traffic, hub.clock.tz, d.lang
        )
        return {"content_type": CONTENT_TYPES[d.format], "data": image, "chart": d.chart}

    async def stations(call: ServiceCall) -> dict[str, Any]:
        d: StationQuery = call.data
        await flush_hours()
        return {"stations": await hourly.async_stations(
            ts(d.start) // 3600 if d.start else None, ts(d.end) // 3600 if d.end else None
        )}  # fmt: skip

    reg = hub.services.async_register
    reg(DOMAIN, "correlation", correlation, CorrelationQuery, roles=READERS | {Role.ENGINEER},
        description="厂界浓度与车流相关分析 fence concentration against traffic")  # fmt: skip
    reg(DOMAIN, "acknowledge", acknowledge, Acknowledge, roles={Role.OFFICER},
        description="确认异常 acknowledge an anomaly, with a note")  # fmt: skip
    reg(DOMAIN, "chart", chart, ChartQuery, roles=READERS | {Role.ENGINEER},
        description="相关分析图表 a correlation chart (PNG/SVG)")  # fmt: skip
    reg(DOMAIN, "stations", stations, StationQuery, roles=READERS | {Role.ENGINEER},
        description="有逐时数据的微站 stations with hourly data")  # fmt: skip
    reg(DOMAIN, "readings", readings, ReadingQuery, roles=READERS, description="尾气遥感读数与关联通行")
    reg(DOMAIN, "flagged", flagged, FlaggedQuery, roles=READERS, description="遥感超标车辆与运输单位")
    reg(DOMAIN, "carriers", carriers, CarrierQuery, roles=READERS, description="运输单位遥感成绩")
    reg(DOMAIN, "anomalies", anomalies, AnomalyQuery, roles=READERS, description="异常规则记录")
