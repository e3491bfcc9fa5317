"""`uplink.resend {platform?, start, end}` (补传), `uplink.status {platform?, date?}`,
`uplink.send_daily_stats {platform?, date}`."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.core import Hub, ServiceCall, ServiceValidationError
from hub.core.auth import Role
from hub.core.validation import PlausibleDate, PlausibleDatetime

from .const import DOMAIN
from .status import async_platform_status

if TYPE_CHECKING:
    from . import Uplink

OFFICERS = {Role.OFFICER, Role.ENGINEER}
READERS = {Role.OFFICER, Role.ENGINEER, Role.INSPECTOR, Role.GUARD}


class Resend(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: str | None = None
    start: PlausibleDatetime
    end: PlausibleDatetime

    @model_validator(mode="after")
    def _order(self) -> Resend:
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


class Status(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: str | None = None
    date: PlausibleDate | None = None
    days: int = Field(7, ge=1, le=62)


class DailyStats(BaseModel):
    model_config = ConfigDict(extra="forbid")

    platform: str | None = None
    date: PlausibleDate


def register(hub: Hub, uplink: Uplink) -> None:
    def links(service: str, name: str | None) -> list[Any]:
        if name is None:
            return list(uplink.links.values())
        if name not in uplink.links:
            known = ", ".join(uplink.links) or "none"
            raise ServiceValidationError(
                DOMAIN, service, [("platform", f"no platform {name!r} (known: {known})")]
            )
        return [uplink.links[name]]

    def aware(moment: datetime) -> datetime:
        return moment if moment.tzinfo else moment.replace(tzinfo=hub.clock.tz)

    async def resend(call: ServiceCall) -> dict[str, Any]:
        d: Resend = call.data
        start, end = aware(d.start), aware(d.end)
        jobs = []
        for link in links("resend", d.platform):
            job = await link.resend.async_queue(
                int(start.timestamp()), int(end.timestamp()), call.context.user_id
            )
            jobs.append(
                {"platform": link.name, "id": job, "start": start.isoformat(), "end": end.isoformat()}
            )
        return {"jobs": jobs}

    async def status(call: ServiceCall) -> dict[str, Any]:
        d: Status = call.data
        out = []
        for link in links("status", d.platform):
            item = await async_platform_status(link.name, today=hub.now().date(), day=d.date, days=d.days)
            item |= {"title": link.conf.label, **link.status(), "register_reads": asdict(link.register.reads),
                     "one_policy": link.one_policy.answer, "vehicle_checks": dict(link.checks)}  # fmt: skip
            out.append(item)
        return {"platforms": out}

    async def send_daily_stats(call: ServiceCall) -> dict[str, Any]:
        d: DailyStats = call.data
        return {"results": [
            {"platform": link.name, **await link.daily.async_send(d.date.isoformat())}
            for link in links("send_daily_stats", d.platform)
        ]}  # fmt: skip

    reg = hub.services.async_register
    reg(DOMAIN, "resend", resend, Resend, roles=OFFICERS, description="补传 resend the records of a period")
    reg(
        DOMAIN,
        "status",
        status,
        Status,
        roles=READERS,
        description="上传状态 upload status per platform and day",
    )
    reg(DOMAIN, "send_daily_stats", send_daily_stats, DailyStats, roles=OFFICERS,
        description="上报日统计 send a day's statistics now")  # fmt: skip
