"""Policy fixtures: a hub with the real ledger, register and simulated barrier PLC, and a few vehicles."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from hub.core import Context, Hub
from hub.core.const import EVENT_GATE_DECISION, EVENT_PLATE_READ, EVENT_STATE_CHANGED
from hub.core.context import ulid_now
from hub.util.vin import vin_check_digit
from tests.common import expect_event, wait_state

BARRIER_LANE = (
    "    - {gate: east, lane: in, port: 0, scan_seconds: 0.05, timeout: 0.3, "
    "registers: {pulse_seconds: 0.05}, simulator: {travel_seconds: 0.2, auto_close_seconds: 0.3}}\n"
)


def config(policy: str = "", barrier: bool = True) -> str:
    text = "hub: {name: 准入测试}\nledger:\nvehicles:\n"
    if barrier:
        text += "barrier:\n  lanes:\n" + BARRIER_LANE
    lines = ["grade: B", "alarm_seconds: 1", "schedule_check_seconds: 0.05", *policy.splitlines()]
    return text + "policy:\n" + "".join(f"  {line}\n" for line in lines if line.strip())


def vin(n: int) -> str:
    body = f"LFWADRJF0J{n:07d}"
    return body[:8] + vin_check_digit(body) + body[9:]


# plate -> (fuel, emission stage); all heavy tractors on yellow plates.
FLEET = {"冀B60006": ("B", "6"), "冀B50005": ("B", "5"), "冀B40004": ("B", "4"), "冀B66666": ("B", "6")}


async def seed(hub: Hub) -> None:
    for n, (plate, (fuel, stage)) in enumerate(FLEET.items()):
        record = {
            "plate": plate, "colour": "yellow", "vehicle_type": "重型半挂牵引车", "vin": vin(n),
            "registration_date": "2021-03-01", "fuel": fuel, "emission_stage": stage,
            "fleet": "唐山顺达物流有限公司", "network_status": True,
        }  # fmt: skip
        await hub.services.async_call("vehicles", "upsert", {"class": "transport", "record": record})


def read(plate: str, *, lane: str = "in", direction: str = "in", **extra: Any) -> dict[str, Any]:
    return {
        "read_id": ulid_now(), "gate": "east", "lane": lane, "direction": direction, "plate": plate,
        "colour": "yellow", "confidence": 0.97, "needs_review": False, "source": "test",
        "captured_at": "2026-11-24T08:00:00+08:00", "read_at": "2026-11-24T08:00:00+08:00",
        "photos": {}, **extra,
    }  # fmt: skip


async def fire_read(
    hub: Hub, plate: str, timeout: float = 10.0, images: dict[str, bytes] | None = None, **extra: Any
) -> dict[str, Any]:
    """Fire a plate_read as the camera does (its photos put in the hub's photo store first, the event
    naming them); return the gate_decision that answers it."""
    if images is None:
        images = {"plate": b"\xff\xd8\xff\xe0plate-" + plate.encode()}
    data = read(plate, photos=await hub.photos.async_put(images), **extra)
    waiter = expect_event(hub, EVENT_GATE_DECISION, {"read_id": data["read_id"]}, timeout)
    hub.bus.async_fire(EVENT_PLATE_READ, data, Context(id=data["read_id"]))
    return dict((await waiter).data)


async def records(hub: Hub, passage_id: str | None = None) -> list[dict[str, Any]]:
    rows = await hub.services.async_call("ledger", "read_records", {"after_seq": 0, "limit": 1000})
    return [r for r in rows if passage_id is None or r["passage_id"] == passage_id]


def lifecycle(rows: list[dict[str, Any]]) -> list[str]:
    return [r["status"] for r in rows if r["kind"] == "lifecycle"]


@pytest.fixture
async def gate(make_hub, clock) -> Callable[..., Any]:
    """`await gate(policy_yaml)` -> a started hub whose lane east/in is online and closed, register seeded."""

    async def factory(policy: str = "", *, barrier: bool = True, **kwargs: Any) -> Hub:
        hub = await make_hub(config(policy, barrier), clock=kwargs.pop("clock", clock), **kwargs)
        assert {"ledger", "vehicles", "policy"} <= set(hub.loaded), hub.setup_errors
        if barrier:
            await wait_state(hub, "binary_sensor.east_in_barrier_online", "on")
            await wait_state(hub, "cover.east_in_barrier", "closed")
        await seed(hub)
        return hub

    return factory


async def user_context(hub: Hub, name: str, *roles: str) -> Context:
    from hub.core.auth import Role

    user = await hub.auth.async_add_user(name, "correct horse battery", frozenset(Role(r) for r in roles))
    return Context(user_id=user.id)


def watch_opening(hub: Hub, cover: str = "cover.east_in_barrier") -> list[str]:
    """The barrier's opening/open states as they come: empty while no barrier moved."""
    opened: list[str] = []
    hub.bus.async_listen(
        EVENT_STATE_CHANGED,
        lambda e: opened.append(e.data["new_state"].state),
        event_filter=lambda e: (
            e.data["entity_id"] == cover
            and e.data["new_state"] is not None
            and e.data["new_state"].state in ("opening", "open")
        ),
    )
    return opened
