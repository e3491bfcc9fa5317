"""Online verification (联网查询) end to end: a plate read at a lane with a barrier PLC, the policy asking the
platform simulator through `uplink.vehicle_check` within its budget; the platform's control measure
switching the alert level; device heartbeats from the lanes' availability."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import pytest

from hub.components.uplink.online import read_answer
from hub.components.uplink.profile import load_profile
from tests.common import wait_state
from tests.components.policy.conftest import (
    BARRIER_LANE,
    fire_read,
    records,
    seed,
    user_context,
    watch_opening,
)
from tests.components.uplink.conftest import status, uplink_yaml

COVER = "cover.east_in_barrier"
VARIANTS = ["transport_control", "transport_control_en", "transport_control_mj", "transport_token"]


def plant_yaml(url: str, profile: str, mode: str = "always", platform: str = "") -> str:
    extra = (
        "vehicles:\nbarrier:\n  lanes:\n" + BARRIER_LANE
        + "policy:\n  grade: B\n  alarm_seconds: 1\n  schedule_check_seconds: 0.05\n"
        + f"  online_check: {{mode: {mode}, budget_ms: 800}}\n"
    )  # fmt: skip
    return uplink_yaml(url, profile=profile, platform=platform or "codes: {gate: {east: G01}}", extra=extra)


async def plant(make_hub, clock, sim, profile: str, **kwargs: Any):  # type: ignore[no-untyped-def]
    hub = await make_hub(plant_yaml(sim.url, profile, **kwargs), clock=clock)
    assert {"ledger", "vehicles", "policy", "uplink", "barrier"} <= set(hub.loaded), hub.setup_errors
    await wait_state(hub, "binary_sensor.east_in_barrier_online", "on")
    await wait_state(hub, COVER, "closed")
    await seed(hub)
    return hub


async def passage_row(hub, passage_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return next(r for r in await records(hub, passage_id) if r["kind"] == "passage")


@pytest.mark.parametrize("profile", VARIANTS)
async def test_platform_allows_denies_and_times_out(make_hub, clock, start_sim, profile) -> None:
    sim = await start_sim(profile)
    sim.vehicles["冀B60006"] = {"verdict": "deny", "reason": "尾气检测不合格"}
    sim.vehicles["冀B77777"] = {"verdict": "allow", "emission_stage": "6", "fuel": "B",
                                "vin": "LFWADRJF0J1077777", "fleet": "平台车队"}  # fmt: skip
    sim.vehicles["冀B50005"] = {"verdict": "allow", "emission_stage": "6", "fuel": "B"}
    hub = await plant(make_hub, clock, sim, profile)
    opened = watch_opening(hub)

    # The platform denies a vehicle the register would let in: the deny stands, the barrier stays shut.
    denied = await fire_read(hub, "冀B60006")
    assert denied["decision"] == "deny" and denied["reason_code"] == "platform_denied"
    assert "尾气检测不合格" in denied["reason_text"]
    row = await passage_row(hub, denied["passage_id"])
    check = row["vehicle"]["platform_check"]
    assert check["outcome"] == "answered" and check["verdict"] == "deny"
    assert check["answer_sha256"] == hashlib.sha256(check["answer"].encode()).hexdigest()
    assert opened == []

    # A vehicle the register does not hold, that the platform knows as 国六 diesel: decided on the
    # platform's data (never a default stage), let in, and the passage records what the platform said.
    allowed = await fire_read(hub, "冀B77777")
    assert allowed["decision"] == "allow" and allowed["reason_code"] == "allowed", allowed
    await wait_state(hub, COVER, lambda s: s in ("opening", "open"))
    row = await passage_row(hub, allowed["passage_id"])
    assert row["emission_stage"] == "6" and row["fuel"] == "B" and row["fleet"] == "平台车队"
    assert row["vehicle"]["registered"] is False  # decided on the platform's word, not our register
    assert row["vehicle"]["platform_check"]["vehicle"]["vin"] == "LFWADRJF0J1077777"

    # The platform holds another stage than the register: the register entry is updated, by the
    # platform's door (audited as such).
    audited = asyncio.ensure_future(hub.bus.async_wait_for(
        "service_called", lambda e: e.data["service"] == "upsert" and e.data["door"] == "platform", 10
    ))  # fmt: skip
    await fire_read(hub, "冀B50005")
    assert (await audited).data["outcome"] == "ok"
    looked = await hub.services.async_call("vehicles", "lookup", {"plate": "冀B50005"})
    assert looked["emission_stage"] == "6"

    # The platform is slow: within the budget the local register decides, and the passage says so.
    sim.faults.check_delay_seconds = 2.0
    late = await fire_read(hub, "冀B66666")  # registered 国六 diesel
    assert late["decision"] == "allow" and "联网查询超时" in late["reason_text"]
    row = await passage_row(hub, late["passage_id"])
    assert row["vehicle"]["platform_check"]["outcome"] == "timeout"
    unknown = await fire_read(hub, "冀B99999")  # unregistered, platform unreachable in time: local rule
    assert unknown["decision"] == "deny" and unknown["reason_code"] == "unregistered"
    assert "联网查询超时" in unknown["reason_text"]
    checks = (await status(hub))["vehicle_checks"]  # what an officer sees in uplink.status
    assert (checks["deny"], checks["allow"], checks["abandoned"]) == (1, 2, 2), checks


async def test_the_platform_serial_is_carried_by_the_passage(make_hub, clock, start_sim) -> None:
    sim = await start_sim("transport_token")
    sim.vehicles["冀B77777"] = {"verdict": "allow", "emission_stage": "6", "fuel": "B",
                                "serial": "JT2026000042"}  # fmt: skip
    hub = await plant(make_hub, clock, sim, "transport_token", mode="unregistered")
    await fire_read(hub, "冀B77777")
    await fire_read(hub, "冀B60006")  # registered: not asked (mode unregistered), our own serial
    await sim.wait_for(lambda: len(sim.ids()) == 2)
    assert len(sim.checks) == 1 and sim.checks[0]["plateNo"] == "冀B77777"
    serials = {r["plateNo"]: r["serialNum"] for r in sim.received["passage"].values()}
    assert serials["冀B77777"] == "JT2026000042"
    assert serials["冀B60006"].startswith("91130200MA0TEST001G01A261124080000")


@pytest.mark.parametrize("profile", VARIANTS)
async def test_control_measure_switches_the_alert_level(make_hub, clock, start_sim, profile) -> None:
    sim = await start_sim(profile)
    hub = await plant(make_hub, clock, sim, profile, mode="never")
    await sim.async_push_control({
        "id": "GK-2026-7", "level": "orange", "response_level": "II", "measure_code": 2,
        "measure": "禁止国四及以下柴油重型货车", "start": "2026-11-24T07:00:00+08:00",
        "end": "2026-11-26T08:00:00+08:00",
    })  # fmt: skip
    assert sim.control is not None and sim.control["controlLevel"] == "2"
    await wait_state(hub, "select.plant_alert_level", "orange")
    state = hub.states.get("select.plant_alert_level")
    assert state.attributes["source"] == "platform" and state.attributes["measure_code"] == 2
    denied = await fire_read(hub, "冀B40004")  # 国四 diesel under measure 2
    assert denied["decision"] == "deny"


@pytest.mark.parametrize("profile", VARIANTS[:3])
async def test_device_heartbeats_from_availability(make_hub, clock, start_sim, profile) -> None:
    sim = await start_sim(profile)
    platform = "codes: {gate: {east: G01}, barrier: {east_in: DZ01}}\nschedule: {device_heartbeat: every 0.2}"
    hub = await plant(make_hub, clock, sim, profile, mode="never", platform=platform)
    await sim.wait_for(lambda: len(sim.received["device_heartbeat"]) >= 2 and sim.received["device_status"])
    beat = list(sim.received["device_heartbeat"].values())[-1]
    assert beat == {"dzbh": "DZ01", "bgzt": "1", "vlpzt": "0"}  # barrier PLC online, no camera on this lane
    report = next(iter(sim.received["device_status"].values()))
    assert report["gateCodeB"] == "DZ01" and report["gateStatus"] == "1" and report["subtime"]
    assert hub is not None


def test_an_answer_outside_our_code_lists_fills_nothing() -> None:
    """Platform codes we have no mapping for (stage 7, 氢 P) are named and left out, never guessed."""
    profile = load_profile("transport_control")
    spec = profile.messages["vehicle_check"]
    answer = {"code": "200", "value": {"isControl": "0", "emissionStandard": "7", "fuelType": "P",
                                       "vin": "LFWADRJF0J1077777"}}  # fmt: skip
    read = read_answer(profile, spec, answer)
    assert read["verdict"] == "allow" and read["vehicle"] == {"vin": "LFWADRJF0J1077777"}
    assert len(read["unmapped"]) == 2 and any("'P'" in text for text in read["unmapped"])
    refusal = {"code": "200", "value": {"isControl": "2", "controlReason": "黑名单"}}
    denied = read_answer(profile, spec, refusal)
    assert (denied["verdict"], denied["reason"], denied["unmapped"]) == ("deny", "黑名单", [])


async def test_platform_down_the_register_decides(make_hub, clock, start_sim) -> None:
    sim = await start_sim("transport_control")
    hub = await plant(make_hub, clock, sim, "transport_control")
    await sim.async_go_down()
    decided = await fire_read(hub, "冀B66666")  # registered 国六 diesel
    assert decided["decision"] == "allow" and "联网查询失败" in decided["reason_text"]
    row = await passage_row(hub, decided["passage_id"])
    assert row["vehicle"]["platform_check"]["outcome"] == "error"
    assert row["vehicle"]["platform_check"]["error"]


async def test_a_guards_correction_asks_the_platform_too(make_hub, clock, start_sim) -> None:
    sim = await start_sim("transport_control_en")
    sim.vehicles["冀B60006"] = {"verdict": "deny", "reason": "超标排放车辆"}
    hub = await plant(make_hub, clock, sim, "transport_control_en", mode="always")
    guard = await user_context(hub, "guard1", "guard")
    misread = await fire_read(hub, "冀B60008")  # the camera read 8 for 6; the platform knows no such truck
    assert misread["decision"] == "deny"
    answer = await hub.services.async_call("policy", "correct_plate", {
        "passage_id": misread["passage_id"], "plate": "冀B60006", "reason": "末位误识别",
    }, guard)  # fmt: skip
    assert (answer["decision"], answer["opened"]) == ("deny", False)  # registered, but the platform says no
    rows = await records(hub, misread["passage_id"])
    correction = next(r for r in rows if r["kind"] == "correction")
    assert correction["reason_code"] == "platform_denied" and "超标排放车辆" in correction["reason_text"]
    assert correction["vehicle"]["platform_check"]["verdict"] == "deny"
    assert [c["license"] for c in sim.checks] == ["冀B60008", "冀B60006"]


async def test_no_stage_from_the_platform_no_entry_on_its_word(make_hub, clock, start_sim) -> None:
    """The platform allows a truck the register does not hold but names no emission stage: the local
    rule for unregistered vehicles decides (a stage is never assumed)."""
    sim = await start_sim("transport_control")
    sim.vehicles["冀B77777"] = {"verdict": "allow", "fuel": "B", "_raw": {"emissionStandard": "7"}}
    hub = await plant(make_hub, clock, sim, "transport_control", mode="unregistered")
    decided = await fire_read(hub, "冀B77777")
    assert decided["decision"] == "deny" and decided["reason_code"] == "unregistered"
    check = (await passage_row(hub, decided["passage_id"]))["vehicle"]["platform_check"]
    assert check["verdict"] == "allow" and "emission_stage" not in check["vehicle"]
    assert any("'7'" in text for text in check["unmapped"])
