"""RFID tags at the gate, end to end: a simulated UHF reader over TCP, the real register and ledger.

A machine with no plate camera at its lane is identified by its tag; beside a camera, a tag that names
another vehicle than the plate sends the passage to the guard."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.core import Hub
from hub.core.const import EVENT_GATE_DECISION
from tests.common import wait_state
from tests.components.policy.conftest import BARRIER_LANE, fire_read, records, seed

MACHINE_TAG = "E2003412B802011700000042"
TRUCK_TAG = "E2003412B802011700006006"
CONFIG = (
    "hub: {name: 电子标签测试}\nledger:\nvehicles:\nbarrier:\n  lanes:\n" + BARRIER_LANE
    + """\
rfid:
  readers:
    - {name: yard_rfid, simulator: true}
    - {name: east_rfid, protocol: frame, simulator: true}
policy:
  grade: B
  alarm_seconds: 1
  lanes:
    - {gate: yard, lane: in, rfid: sensor.yard_rfid_tag}
    - {gate: east, lane: in, plate: sensor.lpr_east_in_plate, rfid: sensor.east_rfid_tag}
"""
)  # fmt: skip
MACHINE = {
    "env_code": "JA00000042", "internal_no": "M042", "machine_type": "装载机", "machine_model": "ZL50",
    "production_date": "2021-07-01", "emission_stage": "4", "fuel": "B", "engine_model": "WD10G220",
    "engine_maker": "潍柴动力", "engine_no": "W0000042", "engine_power_kw": 162.0, "owner": "炼铁厂",
    "rfid_tag": MACHINE_TAG,
}  # fmt: skip


async def plant(make_hub: Any, clock: Any) -> Hub:
    hub = await make_hub(CONFIG, clock=clock)
    assert {"ledger", "vehicles", "policy", "rfid"} <= set(hub.loaded), hub.setup_errors
    await seed(hub)
    await hub.services.async_call("vehicles", "upsert", {"class": "machinery", "record": MACHINE})
    await hub.services.async_call(
        "vehicles", "upsert", {"class": "transport", "record": {"plate": "冀B60006", "rfid_tag": TRUCK_TAG}}
    )
    return hub


async def present(hub: Hub, reader: str, tag: str) -> None:
    await hub.data["rfid"].simulators[reader].async_present(tag)
    await wait_state(hub, f"sensor.{reader}_tag", tag, timeout=10)


async def test_a_tag_identifies_a_machine_at_a_lane_with_no_plate_camera(make_hub, clock) -> None:
    hub = await plant(make_hub, clock)
    waiter = asyncio.ensure_future(
        hub.bus.async_wait_for(EVENT_GATE_DECISION, lambda e: e.data["gate"] == "yard", 10)
    )
    await asyncio.sleep(0)
    await present(hub, "yard_rfid", MACHINE_TAG)
    decision = (await waiter).data
    assert (decision["plate"], decision["vehicle_class"]) == ("JA00000042", "machinery"), decision
    assert decision["decision"] == "allow" and not decision["needs_review"], decision
    await hub.async_block_till_done()
    [row] = [r for r in await records(hub) if r["kind"] == "passage" and r["gate"] == "yard"]
    assert row["plate"] == "JA00000042" and row["vehicle_class"] == "machinery"


async def test_an_unknown_tag_at_such_a_lane_waits_for_the_guard(make_hub, clock) -> None:
    hub = await plant(make_hub, clock)
    waiter = asyncio.ensure_future(
        hub.bus.async_wait_for(EVENT_GATE_DECISION, lambda e: e.data["gate"] == "yard", 10)
    )
    await asyncio.sleep(0)
    await present(hub, "yard_rfid", "E200FFFF00000000")
    decision = (await waiter).data
    assert decision["plate"] == "" and decision["decision"] == "review" and decision["needs_review"]


async def test_a_plate_and_a_tag_that_disagree_go_to_review(make_hub, clock) -> None:
    hub = await plant(make_hub, clock)
    await present(hub, "east_rfid", TRUCK_TAG)  # the tag of 冀B60006 ...
    decision = await fire_read(hub, "冀B50005")  # ... on a truck whose plate reads 冀B50005
    assert (decision["decision"], decision["reason_code"]) == ("review", "rfid_mismatch"), decision
    assert "车牌与电子标签不一致" in decision["reason_text"] and "冀B60006" in decision["reason_text"]
    assert decision["needs_review"]
    assert hub.states.get("sensor.east_in_decision").state == "review"
    [row] = [
        r
        for r in await records(hub)
        if r.get("passage_id") == decision["passage_id"] and r["kind"] == "passage"
    ]
    assert row["decision"] == "review" and row["reason_code"] == "rfid_mismatch"


async def test_a_plate_and_its_own_tag_agree_and_an_old_tag_is_not_used(make_hub, clock) -> None:
    hub = await plant(make_hub, clock)
    await present(hub, "east_rfid", TRUCK_TAG)
    assert (await fire_read(hub, "冀B60006"))["decision"] == "allow"
    clock.advance(300)  # the tag was read long ago: another vehicle now, with no tag in the field
    assert (await fire_read(hub, "冀B66666"))["decision"] == "allow"
