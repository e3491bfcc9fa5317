"""The waiting helpers every test uses: they see what is already there, miss nothing fired after
they listen, and name what they waited for when time runs out."""

from __future__ import annotations

import pytest

from tests.common import expect_event, wait_entity, wait_event, wait_state, wait_until


async def test_wait_state_returns_a_state_already_there_and_waits_for_a_later_one(make_hub) -> None:
    hub = await make_hub()
    hub.states.async_set("sensor.lane_weight", "0")
    assert (await wait_state(hub, "sensor.lane_weight", "0", timeout=1)).state == "0"
    hub.states.async_set("sensor.lane_weight", "31460", {"unit_of_measurement": "kg"})
    heavy = await wait_state(hub, "sensor.lane_weight", lambda s: int(s) > 30_000, timeout=1)
    assert heavy.attributes["unit_of_measurement"] == "kg"
    with_unit = await wait_entity(hub, "sensor.lane_weight", lambda s: "unit_of_measurement" in s.attributes)
    assert with_unit.state == "31460"


async def test_a_state_that_never_comes_names_the_entity_and_its_last_state(make_hub) -> None:
    hub = await make_hub()
    hub.states.async_set("cover.east_in_barrier", "closed")
    with pytest.raises(TimeoutError, match=r"cover.east_in_barrier .*'closed'"):
        await wait_state(hub, "cover.east_in_barrier", "open", timeout=0.05)


async def test_expect_event_hears_an_event_fired_before_it_is_awaited(make_hub) -> None:
    hub = await make_hub()
    decided = expect_event(hub, "gate_decision", {"read_id": "R2"}, timeout=1)
    hub.bus.async_fire("gate_decision", {"read_id": "R1", "decision": "deny"})
    hub.bus.async_fire("gate_decision", {"read_id": "R2", "decision": "allow"})
    assert (await decided).data["decision"] == "allow"
    with pytest.raises(TimeoutError, match="gate_decision"):
        await expect_event(hub, "gate_decision", timeout=0.05)


async def test_wait_event_takes_a_predicate_or_the_data_it_must_contain(make_hub) -> None:
    hub = await make_hub()
    waiting = expect_event(hub, "weight_stable", lambda e: e.data["weight_kg"] > 30_000, timeout=1)
    hub.bus.async_fire("weight_stable", {"weight_kg": 18_020})
    hub.bus.async_fire("weight_stable", {"weight_kg": 31_460})
    assert (await waiting).data["weight_kg"] == 31_460
    with pytest.raises(TimeoutError, match="weight_stable"):
        await wait_event(hub, "weight_stable", {"lane": "out"}, timeout=0.05)


async def test_wait_until_checks_a_condition_no_event_announces(tmp_path) -> None:
    marker = tmp_path / "done"
    marker.write_text("ok")
    await wait_until(marker.exists, timeout=1)
    with pytest.raises(TimeoutError):
        await wait_until((tmp_path / "never").exists, timeout=0.05)
