"""The policy end to end: real ledger, real register, the simulated barrier PLC over Modbus TCP.

What is asserted is what the guard, the driver and an inspector see: the lane's cover, display and
alarm, the decision sensor, the gate_decision event and the rows in the ledger.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import pytest

from hub.core import Context, ServiceValidationError, Unauthorized
from hub.core.const import EVENT_PASSAGE_RECORDED, EVENT_PLATE_READ, EVENT_SERVICE_CALLED, EVENT_STATE_CHANGED
from tests.common import wait_state
from tests.components.policy.conftest import (
    FLEET,
    fire_read,
    lifecycle,
    read,
    records,
    user_context,
)

COVER = "cover.east_in_barrier"
DISPLAY = "sensor.east_in_display"
DECISION = "sensor.east_in_decision"


async def test_allowed_truck_is_committed_before_the_barrier_moves_and_its_lifecycle_follows(gate) -> None:
    hub = await gate()
    committed: list[tuple[str, str]] = []
    seen_at_opening: list[list[tuple[str, str]]] = []
    calls: list[str] = []
    hub.bus.async_listen(
        EVENT_PASSAGE_RECORDED, lambda e: committed.append((e.data["kind"], e.data["plate"]))
    )
    hub.bus.async_listen(
        EVENT_STATE_CHANGED,
        lambda e: seen_at_opening.append(list(committed)) if e.data["new_state"].state == "opening" else None,
        event_filter=lambda e: e.data["entity_id"] == COVER and e.data["new_state"] is not None,
    )
    hub.bus.async_listen(
        EVENT_SERVICE_CALLED,
        lambda e: calls.append(f"{e.data['domain']}.{e.data['service']}:{e.data['outcome']}"),
    )

    decision = await fire_read(hub, "冀B60006")

    assert decision["decision"] == "allow" and decision["allowed"] is True
    assert decision["reason_code"] == "allowed" and decision["reason_text"] == "国六柴油货车，准予入厂"
    assert decision["vehicle_class"] == "transport" and decision["alert_level"] == "normal"
    assert decision["seq"] >= 1 and decision["passage_id"]
    await wait_state(hub, COVER, "opening")
    # The passage row had been committed (passage_recorded fires after the commit) when the arm moved.
    assert ("passage", "冀B60006") in seen_at_opening[0]
    assert calls.index("ledger.record_passage:ok") < calls.index("barrier.open:ok")
    assert hub.states.get(DISPLAY).state == "冀B60006 国六 请通行"
    # The simulated arm closes by itself behind the truck: passed, then closed.
    await wait_state(hub, COVER, "closed")
    await hub.async_block_till_done()
    rows = await records(hub, decision["passage_id"])
    passage = rows[0]
    assert (passage["kind"], passage["decision"], passage["emission_stage"], passage["fuel"]) == (
        "passage", "allow", "6", "B",
    )  # fmt: skip
    assert passage["reason_text"] == "国六柴油货车，准予入厂" and passage["photo_plate"]
    assert passage["vehicle"]["fleet"] == "唐山顺达物流有限公司" and passage["vehicle"]["registered"] is True
    assert lifecycle(rows) == ["opening", "passed", "closed"]
    state = hub.states.get(DECISION)
    assert state.state == "allow" and state.attributes["lifecycle"] == "closed"
    assert state.attributes["passage_id"] == decision["passage_id"]


async def test_guo4_diesel_truck_is_denied_with_the_reason_on_the_display(gate) -> None:
    hub = await gate()
    decision = await fire_read(hub, "冀B40004")
    assert (decision["decision"], decision["reason_text"], decision["rule"]) == (
        "deny", "国四柴油货车禁止入厂", "b_diesel_stage4",
    )  # fmt: skip
    assert hub.states.get(DISPLAY).state == "冀B40004 国四柴油货车禁止入厂"
    assert hub.states.get("binary_sensor.east_in_alarm").state == "on"
    assert hub.states.get(COVER).state == "closed"
    state = hub.states.get(DECISION)
    assert (state.state, state.attributes["reason_text"], state.attributes["lifecycle"]) == (
        "deny", "国四柴油货车禁止入厂", "denied",
    )  # fmt: skip
    await hub.async_block_till_done()
    rows = await records(hub, decision["passage_id"])
    assert (rows[0]["decision"], rows[0]["reason_code"]) == ("deny", "forbidden")
    assert lifecycle(rows) == ["denied"]
    await wait_state(hub, "binary_sensor.east_in_alarm", "off")  # alarm_seconds: 1
    assert hub.states.get(COVER).state == "closed"


async def test_orange_alert_denies_guo5_and_survives_a_restart(gate, tmp_path, clock) -> None:
    hub = await gate(config_dir=tmp_path / "plant")
    officer = await user_context(hub, "officer1", "officer")
    guard = await user_context(hub, "guard1", "guard")
    assert (await fire_read(hub, "冀B50005"))["decision"] == "allow"

    changed = asyncio.ensure_future(hub.bus.async_wait_for("alert_level_changed", timeout=5))
    await asyncio.sleep(0)
    with pytest.raises(Unauthorized):
        await hub.services.async_call("policy", "set_alert_level", {"level": "orange"}, guard)
    answer = await hub.services.async_call(
        "policy", "set_alert_level", {"level": "orange", "reason": "市重污染天气应急指挥部通知"}, officer
    )
    event = await changed
    assert answer["level"] == "orange"
    assert (event.data["level"], event.data["previous"], event.data["user_id"]) == (
        "orange",
        "normal",
        officer.user_id,
    )
    select = hub.states.get("select.plant_alert_level")
    assert select.state == "orange" and select.attributes["response_level"] == "II"
    assert select.attributes["options"] == ["normal", "yellow", "orange", "red"]
    await hub.async_block_till_done()
    assert hub.states.get(DISPLAY).state == "当前橙色预警 Ⅱ级响应"

    clock.advance(300)  # a new passage, not a repeat read of the one before
    decision = await fire_read(hub, "冀B50005")
    assert (decision["decision"], decision["reason_text"], decision["alert_level"]) == (
        "deny", "橙色预警期间国五柴油货车禁止入厂", "orange",
    )  # fmt: skip
    assert hub.states.get(DISPLAY).state == "冀B50005 橙色预警期间国五柴油货车禁止入厂"
    assert (await fire_read(hub, "冀B60006"))["decision"] == "allow"
    await hub.async_stop()

    again = await gate(config_dir=tmp_path / "plant")
    assert again.states.get("select.plant_alert_level").state == "orange"
    clock.advance(300)
    assert (await fire_read(again, "冀B50005"))["reason_text"] == "橙色预警期间国五柴油货车禁止入厂"


async def test_platform_control_measure_with_an_end_falls_back_to_normal(gate, clock) -> None:
    hub = await gate()
    end = clock.now() + timedelta(hours=2)
    await hub.services.async_call(
        "policy", "set_alert_level",
        {"response_level": "Ⅱ级", "measure_code": 3, "measure": "国四柴油、国五燃气重型货车禁行",
         "end": end.isoformat(), "source": "platform"},
    )  # fmt: skip
    select = hub.states.get("select.plant_alert_level")
    assert (select.state, select.attributes["measure_code"], select.attributes["source"]) == (
        "orange",
        3,
        "platform",
    )
    clock.advance(timedelta(hours=2))
    await wait_state(hub, "select.plant_alert_level", "normal")
    assert hub.states.get("select.plant_alert_level").attributes["source"] == "schedule"
    await hub.async_block_till_done()
    audit = await hub.services.async_call("ledger", "audit_query", {"action": "policy.set_alert_level"})
    assert {item["door"] for item in audit["items"]} >= {"internal", "schedule"}


async def test_a_scheduled_alert_shows_until_it_starts_and_can_be_cancelled(gate, clock) -> None:
    hub = await gate()
    officer = await user_context(hub, "officer1", "officer")
    start, end = clock.now() + timedelta(hours=1), clock.now() + timedelta(hours=5)
    answer = await hub.services.async_call(
        "policy", "set_alert_level",
        {"level": "yellow", "start": start.isoformat(), "end": end.isoformat(), "reason": "预报"}, officer,
    )  # fmt: skip
    assert answer["scheduled"]["level"] == "yellow"
    select = hub.states.get("select.plant_alert_level")
    assert select.state == "normal" and select.attributes["scheduled"]["level"] == "yellow"
    assert select.attributes["scheduled"]["start"] == start.isoformat()
    await hub.services.async_call("policy", "cancel_scheduled_alert", {}, officer)
    assert hub.states.get("select.plant_alert_level").attributes["scheduled"] is None
    with pytest.raises(ServiceValidationError, match="no alert is scheduled"):
        await hub.services.async_call("policy", "cancel_scheduled_alert", {}, officer)
    clock.advance(timedelta(hours=2))
    await hub.async_block_till_done()
    assert hub.states.get("select.plant_alert_level").state == "normal"  # the cancelled one never came

    # A period wholly past would flip the lanes to yellow and back in one breath: refused.
    past = {"level": "yellow", "start": (clock.now() - timedelta(hours=3)).isoformat(),
            "end": (clock.now() - timedelta(hours=1)).isoformat()}  # fmt: skip
    with pytest.raises(ServiceValidationError, match="already ended"):
        await hub.services.async_call("policy", "set_alert_level", past, officer)
    # Where a switch came from is not the officer's to choose.
    with pytest.raises(ServiceValidationError, match="recorded as officer"):
        await hub.services.async_call(
            "policy", "set_alert_level", {"level": "red", "source": "platform"}, officer
        )
    assert hub.states.get("select.plant_alert_level").state == "normal"


async def test_release_opens_the_barrier_and_leaves_a_release_row(gate) -> None:
    hub = await gate()
    guard = await user_context(hub, "guard1", "guard")
    denied = await fire_read(hub, "冀B40004")
    assert denied["decision"] == "deny"
    with pytest.raises(ServiceValidationError, match="reason"):
        await hub.services.async_call(
            "policy", "release", {"passage_id": denied["passage_id"], "reason": "  "}, guard
        )

    answer = await hub.services.async_call(
        "policy", "release",
        {"passage_id": denied["passage_id"], "reason": "抢险物资运输", "approver": "环保专员张工"}, guard,
    )  # fmt: skip
    assert answer["opened"] is True
    await wait_state(hub, COVER, "opening")
    assert hub.states.get(DISPLAY).state == "冀B40004 特批放行 请通行"
    state = hub.states.get(DECISION)
    assert (state.state, state.attributes["reason_code"]) == ("allow", "released")
    await wait_state(hub, COVER, "closed")
    await hub.async_block_till_done()
    rows = await records(hub, denied["passage_id"])
    release = next(r for r in rows if r["kind"] == "release")
    assert (release["reason"], release["approver"], release["actor"]) == (
        "抢险物资运输",
        "环保专员张工",
        guard.user_id,
    )
    assert release["ref_seq"] == rows[0]["seq"] and rows[0]["decision"] == "deny"  # the original stays
    assert lifecycle(rows) == ["denied", "opening", "passed", "closed"]


async def test_correct_plate_decides_again_and_opens(gate) -> None:
    hub = await gate()
    guard = await user_context(hub, "guard1", "guard")
    misread = await fire_read(hub, "冀B66668")  # the camera read 8 for 6
    assert (misread["decision"], misread["reason_text"]) == ("deny", "未备案车辆")
    answer = await hub.services.async_call(
        "policy",
        "correct_plate",
        {"passage_id": misread["passage_id"], "plate": "冀b·66666", "reason": "末位误识别"},
        guard,
    )
    assert (answer["plate"], answer["decision"], answer["opened"]) == ("冀B66666", "allow", True)
    await wait_state(hub, COVER, "opening")
    state = hub.states.get(DECISION)
    assert (state.state, state.attributes["plate"]) == ("allow", "冀B66666")
    await hub.async_block_till_done()
    rows = await records(hub, misread["passage_id"])
    correction = next(r for r in rows if r["kind"] == "correction")
    assert (correction["plate"], correction["decision"], correction["reason"]) == (
        "冀B66666",
        "allow",
        "末位误识别",
    )
    assert rows[0]["plate"] == "冀B66668"
    # The passage as an officer or inspector finds it now: the corrected vehicle and its decision.
    found = await hub.services.async_call("ledger", "query", {"passage_id": misread["passage_id"]})
    [now] = found["items"]
    assert (now["plate"], now["original_plate"], now["decision"], now["reason_text"]) == (
        "冀B66666", "冀B66668", "allow", correction["reason_text"],
    )  # fmt: skip
    assert (now["emission_stage"], now["fleet"], now["vehicle"]["registered"]) == (
        FLEET["冀B66666"][1], "唐山顺达物流有限公司", True,
    )  # fmt: skip
    with pytest.raises(ServiceValidationError, match="7 characters"):
        await hub.services.async_call(
            "policy",
            "correct_plate",
            {"passage_id": misread["passage_id"], "plate": "冀B6666", "reason": "x"},
            guard,
        )
    with pytest.raises(ServiceValidationError, match="no passage"):
        await hub.services.async_call(
            "policy", "correct_plate", {"passage_id": "0" * 36, "plate": "冀B66666", "reason": "x"}, guard
        )


async def test_low_confidence_read_waits_for_the_guard_then_confirm_opens(gate) -> None:
    hub = await gate()
    guard = await user_context(hub, "guard1", "guard")
    doubtful = await fire_read(hub, "冀B60006", confidence=0.42, needs_review=True)
    assert (doubtful["decision"], doubtful["reason_code"], doubtful["needs_review"]) == (
        "review",
        "low_confidence",
        True,
    )
    assert hub.states.get(COVER).state == "closed"
    assert hub.states.get(DISPLAY).state == "冀B60006 请稍候 人工确认中"
    answer = await hub.services.async_call("policy", "confirm_read", {"read_id": doubtful["read_id"]}, guard)
    assert (answer["decision"], answer["opened"]) == ("allow", True)
    await wait_state(hub, COVER, "opening")
    await hub.async_block_till_done()
    rows = await records(hub, doubtful["passage_id"])
    correction = next(r for r in rows if r["kind"] == "correction")
    assert correction["confirmed"] is True and correction["plate"] == "冀B60006"


async def test_passages_left_open_by_a_crash_are_closed_as_interrupted(gate, tmp_path) -> None:
    hub = await gate(config_dir=tmp_path / "plant")
    waiting = await fire_read(hub, "冀B60006", needs_review=True)  # held for the guard: still open
    assert waiting["decision"] == "review"
    await hub.async_block_till_done()
    assert lifecycle(await records(hub, waiting["passage_id"])) == []
    await hub.async_stop()  # nothing closes it on the way down, as after a power cut

    again = await gate(config_dir=tmp_path / "plant")
    await again.async_block_till_done()
    assert lifecycle(await records(again, waiting["passage_id"])) == ["interrupted"]
    assert await again.services.async_call("ledger", "open_passages", {}) == []


async def test_when_the_ledger_fails_the_barrier_stays_shut_and_the_guard_sees_an_error(gate, caplog) -> None:
    hub = await gate()

    async def broken(call) -> None:
        raise OSError("disk full")

    hub.services.async_register("ledger", "record_passage", broken)
    opened: list[str] = []
    hub.bus.async_listen(
        EVENT_SERVICE_CALLED,
        lambda e: opened.append(e.data["service"]),
        event_filter=lambda e: e.data["domain"] == "barrier" and e.data["service"] == "open",
    )
    with caplog.at_level(logging.ERROR):
        decision = await fire_read(hub, "冀B60006")
    assert (decision["decision"], decision["reason_code"], decision["passage_id"]) == (
        "error",
        "ledger_failed",
        None,
    )
    assert opened == [] and hub.states.get(COVER).state == "closed"
    state = hub.states.get(DECISION)
    assert state.state == "error" and "disk full" in state.attributes["error"]
    assert "barrier NOT opened" in caplog.text
    assert hub.states.get(DISPLAY).state == "冀B60006 请稍候"


async def test_lane_without_barrier_is_recorded_and_logged_once(gate, caplog) -> None:
    hub = await gate("lanes: [{gate: east, lane: in}]", barrier=False)
    assert hub.states.get(DECISION) is not None  # listed in the config: there before the first read
    with caplog.at_level(logging.WARNING):
        first = await fire_read(hub, "冀B60006")
        second = await fire_read(hub, "冀B50005")
    assert first["decision"] == second["decision"] == "allow"
    assert caplog.text.count("no barrier configured for lane east_in") == 1
    await hub.async_block_till_done()
    assert lifecycle(await records(hub, first["passage_id"])) == ["closed"]


async def test_exits_are_recorded_not_blocked_and_repeat_reads_merge(gate) -> None:
    hub = await gate()
    out = await fire_read(hub, "冀A99999", direction="out")
    assert (out["decision"], out["reason_code"], out["reason_text"]) == (
        "allow", "exit_recorded", "准予出厂（已记录：未备案车辆）",
    )  # fmt: skip
    first = await fire_read(hub, "冀B60006")
    hub.bus.async_fire(EVENT_PLATE_READ, read("冀B60006"), Context())  # the camera saw it again
    await hub.async_block_till_done()
    rows = [r for r in await records(hub) if r["kind"] == "passage"]
    assert [r["plate"] for r in rows] == ["冀A99999", "冀B60006"]
    assert hub.states.get(DECISION).attributes["merged_reads"] == 1
    assert hub.states.get(DECISION).attributes["passage_id"] == first["passage_id"]


async def test_bad_reads_are_logged_and_the_lane_keeps_working(gate, caplog) -> None:
    hub = await gate()
    with caplog.at_level(logging.ERROR):
        hub.bus.async_fire(EVENT_PLATE_READ, {"gate": "东门", "lane": "in", "direction": "in", "plate": "x"})
        await hub.async_block_till_done()
    assert "not lane names" in caplog.text
    garbage = await fire_read(hub, "冀B" + "9" * 300)  # a broken camera push
    assert (garbage["decision"], garbage["plate"]) == ("review", "冀B" + "9" * 14)
    assert (await fire_read(hub, "冀B60006"))["decision"] == "allow"


async def test_decisions_on_one_lane_stay_in_order_under_a_burst(gate) -> None:
    hub = await gate()
    plates = ["冀B60006", "冀B40004", "冀B50005", "冀B66666"] * 3
    decided: list[str] = []
    hub.bus.async_listen("gate_decision", lambda e: decided.append(e.data["plate"]))
    for n, plate in enumerate(plates):
        hub.bus.async_fire(EVENT_PLATE_READ, read(plate, read_id=f"R{n:03d}"), Context())
    async with asyncio.timeout(20):
        await hub.async_block_till_done()
    assert decided == plates
    rows = [r["plate"] for r in await records(hub) if r["kind"] == "passage"]
    assert rows == plates


async def test_the_registers_lists_and_whitelist_reach_the_decision(gate, clock) -> None:
    hub = await gate()
    await hub.services.async_call(
        "vehicles", "blacklist_add", {"plate": "冀B60006", "reason": "遥感监测超标", "source": "platform"}
    )
    until = (clock.now() + timedelta(hours=4)).isoformat()
    await hub.services.async_call(
        "vehicles",
        "pass_add",
        {"plate": "冀A12345", "valid_until": until, "reason": "设备检修", "approver": "李工"},
    )
    await hub.services.async_call(
        "vehicles", "upsert", {"class": "transport", "record": {"plate": "冀B50005", "whitelist": "safety"}}
    )
    banned = await fire_read(hub, "冀B60006")
    assert (banned["decision"], banned["reason_code"], banned["reason_text"]) == (
        "deny", "blacklisted", "黑名单车辆：遥感监测超标",
    )  # fmt: skip
    passing = await fire_read(hub, "冀A12345")  # not in the register, but holds a pass
    assert (passing["decision"], passing["reason_code"]) == ("allow", "temporary_pass")
    await hub.services.async_call("policy", "set_alert_level", {"level": "red"})
    exempt = await fire_read(hub, "冀B50005")
    assert (exempt["decision"], exempt["reason_text"]) == (
        "allow",
        "安全生产保障车辆，预警期间豁免，准予入厂",
    )
