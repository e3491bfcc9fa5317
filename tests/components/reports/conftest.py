"""A generated month of gate traffic on the ledger (SQLite, and PostgreSQL when a server answers): what
each report is checked against, with an independent count over the raw rows."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from hub.core import Context, Hub, ManualClock
from hub.core.auth import Role

TZ = ZoneInfo("Asia/Shanghai")
MONTH_START = datetime(2026, 11, 1, tzinfo=TZ)

# plate, class, colour, stage, fuel, vehicle type, fleet
FLEET = [
    ("冀B10001", "transport", "yellow", "6", "B", "重型半挂牵引车", "顺达物流"),
    ("冀B10002", "transport", "yellow", "5", "B", "重型半挂牵引车", "顺达物流"),
    ("冀B10003", "transport", "yellow", "5", "E", "重型厢式货车", "通达运输"),
    ("冀BD10004", "transport", "yellow_green", "D", "C", "重型半挂牵引车", "通达运输"),
    ("冀B10005", "transport", "yellow", "4", "B", "重型半挂牵引车", "个体"),
    ("冀B10006", "in_plant", "blue", "4", "B", "轻型厢式货车", "厂内车队"),
    ("", "machinery", "unknown", "2", "B", "装载机", "机械租赁"),
]
MACHINE_CODE = "JX-0001"


@dataclass
class Traffic:
    """What the generator wrote, as the test's own bookkeeping (tonnes it planned, alert windows)."""

    tonnes: dict[str, float] = field(default_factory=dict)  # "in"/"out" -> planned tonnes (cargo + net)
    tonnes_by_day: dict[str, dict[str, float]] = field(default_factory=dict)
    released: int = 0
    corrections: int = 0
    alert: tuple[datetime, datetime] | None = None


async def record(hub: Hub, clock: ManualClock, at: datetime, **data: Any) -> str:
    clock.set(at)
    body = {
        "passage_id": str(uuid.uuid4()),
        "gate": "east_gate",
        "lane": "in",
        "direction": "in",
        "colour": "yellow",
        "vehicle_class": "transport",
        "decision": "allow",
        "reason_code": "allowed",
        "reason_text": "准予通行",
        "alert_level": "normal",
        **data,
    }
    await hub.services.async_call("ledger", "record_passage", body)
    return str(body["passage_id"])


async def followup(
    hub: Hub,
    clock: ManualClock,
    at: datetime,
    passage_id: str,
    kind: str,
    data: dict,
    reason: str | None = None,
    context: Context | None = None,
) -> None:
    clock.set(at)
    body = {"passage_id": passage_id, "kind": kind, "data": data}
    if reason:
        body["reason"] = reason
    await hub.services.async_call("ledger", "record_followup", body, context)


async def generate_month(hub: Hub, clock: ManualClock, days: int = 30) -> Traffic:
    """Every day: each vehicle of FLEET in and out (the 国四 truck denied, released on even days), an
    unregistered plate denied, weights on entry and exit of the trucks, cargo supplements; an orange
    alert from the 10th 08:00 to the 12th 08:00, switched by an officer."""
    t = Traffic(tonnes={"in": 0.0, "out": 0.0})
    officer = await hub.auth.async_add_user("wang", "correct horse 1", frozenset({Role.OFFICER}))
    guard = await hub.auth.async_add_user("zhao", "correct horse 2", frozenset({Role.GUARD}))
    gctx = Context(user_id=guard.id)
    alert_from, alert_to = MONTH_START + timedelta(days=9, hours=8), MONTH_START + timedelta(days=11, hours=8)
    t.alert = (alert_from, alert_to)
    for d in range(days):
        day = MONTH_START + timedelta(days=d)
        key = day.date().isoformat()
        t.tonnes_by_day[key] = {"in": 0.0, "out": 0.0}
        if day.date() == alert_from.date():
            clock.set(alert_from)
            await hub.services.async_call(
                "ledger",
                "record_audit",
                {
                    "action": "policy.set_alert_level",
                    "door": "ui",
                    "target": "orange",
                    "detail": {
                        "data": {
                            "level": "orange",
                            "response_level": "II",
                            "measure": "橙色预警二级响应",
                            "source": "officer",
                            "user_id": officer.id,
                            "end": alert_to.isoformat(),
                        }
                    },
                },
                Context(),
            )
        in_alert = alert_from <= day + timedelta(hours=9) < alert_to
        level = "orange" if in_alert else "normal"
        for n, (plate, vclass, colour, stage, fuel, vtype, fleet) in enumerate(FLEET):
            vehicle = {
                "emission_stage": stage,
                "fuel": fuel,
                "vehicle_type": vtype,
                "fleet": fleet,
                "registered": True,
                "vin": f"LVIN{n:013d}",
            }
            if not plate:
                vehicle["env_code"] = MACHINE_CODE
            at_in = day + timedelta(hours=8, minutes=10 * n)
            denied = stage == "4" and vclass == "transport"
            blocked = in_alert and vclass == "machinery"
            decision = "deny" if denied or blocked else "allow"
            rule = "b_diesel_stage4" if denied else ("b_alert_machinery_stage2" if blocked else None)
            extra = {"rule": rule} if rule else {}
            pid = await record(
                hub,
                clock,
                at_in,
                plate=plate,
                colour=colour,
                vehicle_class=vclass,
                vehicle=vehicle,
                decision=decision,
                reason_code="forbidden" if rule else "allowed",
                alert_level=level,
                reason_text="国四柴油货车禁止入厂" if denied else ("机械停用" if blocked else "准予入厂"),
                **extra,
            )
            released = denied and d % 2 == 0
            if released:
                await followup(
                    hub,
                    clock,
                    at_in + timedelta(minutes=1),
                    pid,
                    "release",
                    {"approver": "李厂长"},
                    reason="保供特批",
                    context=gctx,
                )
                t.released += 1
            if decision == "deny" and not released:
                continue
            loaded_in = vclass == "transport" and n % 2 == 0  # delivers goods; odd trucks ship out
            weighed = vclass == "transport"
            if weighed:
                await followup(
                    hub,
                    clock,
                    at_in + timedelta(minutes=2),
                    pid,
                    "weight",
                    {"weight_kg": 45_000 if loaded_in else 15_000},
                )
            if n == 1 and d == 3:
                await followup(
                    hub,
                    clock,
                    at_in + timedelta(minutes=3),
                    pid,
                    "correction",
                    {"plate": "冀B10012"},
                    reason="识别错误",
                    context=gctx,
                )
                t.corrections += 1
            at_out = at_in + timedelta(hours=2, minutes=n)
            out_plate = "冀B10012" if (n == 1 and d == 3) else plate
            pid_out = await record(
                hub,
                clock,
                at_out,
                plate=out_plate,
                colour=colour,
                vehicle_class=vclass,
                vehicle=vehicle,
                direction="out",
                lane="out",
                alert_level=level,
                reason_text="准予出厂",
            )
            if weighed:
                await followup(
                    hub,
                    clock,
                    at_out + timedelta(minutes=2),
                    pid_out,
                    "weight",
                    {"weight_kg": 15_000 if loaded_in else 42_000},
                )
                if n == 3:  # the electric truck: a cargo supplement overrides the weighbridge
                    await followup(
                        hub,
                        clock,
                        at_out + timedelta(minutes=5),
                        pid_out,
                        "cargo",
                        {"cargo": "钢材", "quantity": 26.5, "unit": "t"},
                    )
                    t.tonnes["out"] += 26.5
                    t.tonnes_by_day[key]["out"] += 26.5
                else:
                    direction = "in" if loaded_in else "out"
                    net = 30.0 if loaded_in else 27.0
                    t.tonnes[direction] += net
                    t.tonnes_by_day[key][direction] += net
        # an unregistered truck, denied at the entry
        await record(
            hub,
            clock,
            day + timedelta(hours=15),
            plate="豫A99999",
            decision="deny",
            reason_code="unregistered",
            reason_text="未备案车辆",
            vehicle={"registered": False},
        )
    return t


async def raw_rows(hub: Hub) -> list[dict[str, Any]]:
    """Every row of the ledger through its own reader service (the independent count's source)."""
    out: list[dict[str, Any]] = []
    after = 0
    while True:
        rows = await hub.services.async_call("ledger", "read_records", {"after_seq": after, "limit": 1000})
        if not rows:
            return out
        out += rows
        after = rows[-1]["seq"]


@pytest.fixture
def month_clock() -> ManualClock:
    return ManualClock(MONTH_START - timedelta(hours=4))


@pytest.fixture
async def reports_hub(database: str, make_hub: Callable[..., Any], month_clock: ManualClock):
    async def factory(reports: str = "  schedule_enabled: false\n", extra: str = "", **kwargs: Any) -> Hub:
        text = f"hub:\n  name: 唐山示范钢铁\n{database}ledger:\nreports:\n{reports}{extra}"
        hub = await make_hub(text, clock=kwargs.pop("clock", month_clock), **kwargs)
        assert "reports" in hub.loaded, hub.setup_errors
        return hub

    return factory
