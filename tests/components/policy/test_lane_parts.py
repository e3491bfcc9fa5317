"""Lanes bound to entities, part by part, without a network: the plant's entities are stand-ins added
through the entity registry and driven through the hub's own platform services."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest

from hub.components.policy.lanes import colour_of, confidence_of
from hub.components.policy.weighing import SteadyWeight
from hub.core import ConfigError, Entity, EntityDescription, Hub
from hub.core.const import EVENT_GATE_DECISION, EVENT_PLATE_READ, EVENT_WEIGHT_STABLE
from hub.core.gate import WeightStability
from hub.core.writable import async_register_entity_services
from tests.common import wait_state
from tests.components.policy.conftest import lifecycle, records, seed

PLATE = "sensor.lpr_plate"


class PlantSwitch(Entity):
    domain = "switch"

    def __init__(self, key: str) -> None:
        self.entity_description = EntityDescription(key=key, name=key)
        self.on = False

    @property
    def state(self) -> str:
        return "on" if self.on else "off"

    async def async_turn_on(self) -> None:
        self.on = True
        self.async_write_state()

    async def async_turn_off(self) -> None:
        self.on = False
        self.async_write_state()


class PlantText(Entity):
    domain = "text"

    def __init__(self, key: str) -> None:
        self.entity_description = EntityDescription(key=key, name=key)
        self.value = ""

    @property
    def state(self) -> str:
        return self.value

    async def async_set_value(self, value: str) -> None:
        self.value = value
        self.async_write_state()


class PlantCover(Entity):
    """A PLC's arm: opening at once on the command; the test moves it on from there."""

    domain = "cover"

    def __init__(self, key: str) -> None:
        self.entity_description = EntityDescription(key=key, name=key)
        self.position = "closed"

    @property
    def state(self) -> str:
        return self.position

    def move(self, position: str) -> None:
        self.position = position
        self.async_write_state()

    async def async_open_cover(self) -> None:
        self.move("opening")

    async def async_close_cover(self) -> None:
        self.move("closing")


def lane_yaml(**parts: str) -> str:
    text = "hub: {name: 绑定测试}\nledger:\nvehicles:\npolicy:\n  grade: B\n  alarm_seconds: 0.2\n"
    text += "  lanes:\n    - gate: north\n      lane: in\n      plate: sensor.lpr_plate\n"
    return text + "".join(f"      {k}: {v}\n" for k, v in parts.items())


async def plant(make_hub: Any, clock: Any, **parts: str) -> tuple[Hub, dict[str, Any]]:
    hub = await make_hub(lane_yaml(**parts), clock=clock)
    assert {"ledger", "vehicles", "policy"} <= set(hub.loaded), hub.setup_errors
    await seed(hub)
    devices = {"alarm": PlantSwitch("lane_alarm"), "led": PlantText("lane_led")}
    devices["arm"] = PlantCover("lane_arm")
    await hub.entities.async_add("test_plant", devices.values())
    for domain in ("switch", "text", "cover"):
        async_register_entity_services(hub, domain)
    hub.states.async_set(PLATE, "unknown", {})
    return hub, devices


async def read_plate(hub: Hub, plate: str, **attributes: Any) -> dict[str, Any]:
    """The other camera system's sensor changes; the gate_decision that answers it."""
    waiter = asyncio.ensure_future(hub.bus.async_wait_for(EVENT_GATE_DECISION, None, 10))
    await asyncio.sleep(0)
    hub.states.async_set(PLATE, plate, attributes, force_update=True)
    return dict((await waiter).data)


async def test_a_denied_truck_on_a_bound_lane_is_told_why_and_the_plant_alarm_sounds(make_hub, clock) -> None:
    hub, _ = await plant(make_hub, clock, display="text.lane_led", alarm="switch.lane_alarm")
    decision = await read_plate(hub, "冀B40004", colour="黄牌", confidence=0.97)
    assert (decision["decision"], decision["colour"], decision["reason_text"]) == (
        "deny", "yellow", "国四柴油货车禁止入厂",
    )  # fmt: skip
    await wait_state(hub, "text.lane_led", "冀B40004 国四柴油货车禁止入厂")
    await wait_state(hub, "switch.lane_alarm", "on")
    await wait_state(hub, "switch.lane_alarm", "off")  # after alarm_seconds
    rows = await records(hub, decision["passage_id"])
    assert rows[0]["plate"] == "冀B40004" and lifecycle(rows) == ["denied"]


async def test_without_presence_the_bound_barrier_tells_passed_and_closed(make_hub, clock) -> None:
    hub, devices = await plant(make_hub, clock, barrier="cover.lane_arm")
    decision = await read_plate(hub, "冀B60006", confidence=0.97)
    assert decision["decision"] == "allow"
    await wait_state(hub, "cover.lane_arm", "opening")  # cover.open_cover, after the commit
    devices["arm"].move("open")
    devices["arm"].move("closing")
    devices["arm"].move("closed")
    await hub.async_block_till_done()
    assert lifecycle(await records(hub, decision["passage_id"])) == ["opening", "passed", "closed"]


async def test_with_presence_passed_is_the_loop_clearing_and_arrival_is_recorded(make_hub, clock) -> None:
    hub, devices = await plant(make_hub, clock, barrier="cover.lane_arm", presence="binary_sensor.lane_loop")
    hub.states.async_set("binary_sensor.lane_loop", "off", {})
    hub.states.async_set("binary_sensor.lane_loop", "on", {})
    arrived = hub.now()
    clock.advance(timedelta(seconds=3))
    decision = await read_plate(hub, "冀B60006", confidence=0.97)
    await wait_state(hub, "cover.lane_arm", "opening")
    devices["arm"].move("open")
    devices["arm"].move("closing")  # the arm alone says nothing while the truck stands on the loop
    await hub.async_block_till_done()
    assert lifecycle(await records(hub, decision["passage_id"])) == ["arrived", "opening"]
    hub.states.async_set("binary_sensor.lane_loop", "off", {})
    devices["arm"].move("closed")
    await hub.async_block_till_done()
    rows = await records(hub, decision["passage_id"])
    assert lifecycle(rows) == ["arrived", "opening", "passed", "closed"]
    [arrival] = [r for r in rows if r["kind"] == "lifecycle" and r["status"] == "arrived"]
    assert arrival["at"] == arrived.isoformat()


async def test_what_is_not_a_new_read(make_hub, clock) -> None:
    hub, _ = await plant(make_hub, clock)
    reads: list[dict[str, Any]] = []
    hub.bus.async_listen(EVENT_PLATE_READ, lambda e: reads.append(dict(e.data)))
    # A tag coming back with its last value, written long ago, is no vehicle.
    hub.states.async_set(PLATE, "unavailable", {})
    old = (hub.now() - timedelta(minutes=30)).isoformat()
    hub.states.async_set(PLATE, "冀B50005", {"source_time": old})
    # An entity that announces its own reads (our camera's sensor carries read_id) is not read twice.
    hub.states.async_set(PLATE, "冀B50006", {"read_id": "01ABC"})
    # Unavailable and empty values are no reads either.
    hub.states.async_set(PLATE, "unavailable", {})
    hub.states.async_set(PLATE, "", {})
    await hub.async_block_till_done()
    assert reads == []
    # A fresh value, even after the entity came back, is a read, in the lane's direction.
    hub.states.async_set(PLATE, "unavailable", {})
    decision = await read_plate(hub, "冀B60006", source_time=hub.now().isoformat(), confidence=62)
    assert [(r["plate"], r["direction"], r["confidence"], r["needs_review"]) for r in reads] == [
        ("冀B60006", "in", 0.62, True)
    ]
    assert decision["decision"] == "review"  # a doubtful read waits for the guard
    # A two-way lane's camera system says which way the vehicle goes.
    await read_plate(hub, "冀B60006", direction="out", confidence=0.97)
    assert reads[-1]["direction"] == "out"


async def test_the_lane_weighs_a_weight_entity_unless_it_announces_its_own(make_hub, clock) -> None:
    hub, _ = await plant(make_hub, clock, weight="sensor.scale", stable="{seconds: 2}")
    weights: list[dict[str, Any]] = []
    hub.bus.async_listen(EVENT_WEIGHT_STABLE, lambda e: weights.append(dict(e.data)))
    for kg in ("100", "30000", "30005"):
        hub.states.async_set("sensor.scale", kg, {})
    clock.advance(timedelta(seconds=3))
    hub.states.async_set("sensor.scale", "30010", {})  # still within 20 kg after 3 s: stable
    assert [(w["gate"], w["lane"], w["weight_kg"], w["indicator"]) for w in weights] == [
        ("north", "in", 30005, "sensor.scale")
    ]
    # Our weighbridge's sensor says when it was last stable: it announces its weights itself.
    hub.states.async_set("sensor.scale", "100", {"last_stable_at": None})
    hub.states.async_set("sensor.scale", "18000", {"last_stable_at": None})
    clock.advance(timedelta(seconds=3))
    hub.states.async_set("sensor.scale", "18005", {"last_stable_at": None})
    assert len(weights) == 1


async def test_a_part_bound_to_the_wrong_kind_of_entity_is_a_configuration_error(make_hub) -> None:
    with pytest.raises(ConfigError, match=r"barrier: switch.lane_alarm is no cover"):
        await make_hub(lane_yaml(barrier="switch.lane_alarm"))


@pytest.mark.parametrize(
    ("readings", "expected"),
    [
        # (kg, seconds) ... -> the stable weight announced (band 20 kg, 2 s, above 500 kg)
        ([(0, 0), (12000, 1), (31250, 2), (31260, 3), (31255, 4.5)], 31255),
        ([(12000, 0), (31250, 1), (31300, 2.5), (31250, 3.5)], None),  # never 2 s within 20 kg
        ([(400, 0), (410, 3)], None),  # a person on the bridge, no vehicle
        ([(31250, 0), (None, 1), (31250, 2)], None),  # the tag went away: a gap is no steadiness
    ],
)  # fmt: skip
def test_steady_weight(readings: list[tuple[float | None, float]], expected: int | None) -> None:
    detector = SteadyWeight(WeightStability(seconds=2, band_kg=20, min_kg=500, zero_kg=200))
    found = []
    for kg, at in readings:
        detector.add(kg, at)
        found.append(detector.due(at))
    found.append(detector.due(readings[-1][1] + 0.5))
    assert [w for w in found if w is not None] == ([expected] if expected else [])


def test_steady_weight_is_one_per_vehicle_and_rearms_near_zero() -> None:
    detector = SteadyWeight(WeightStability(seconds=1))
    detector.add(30000, 0)
    assert detector.due(1) == 30000
    detector.add(30005, 2)
    assert detector.due(5) is None  # still the same truck
    detector.add(100, 6)
    detector.add(18000, 7)
    assert detector.due(8) == 18000


@pytest.mark.parametrize(
    ("given", "colour"),
    [("yellow", "yellow"), ("黄牌", "yellow"), ("黄", "yellow"), ("蓝", "blue"), ("黄绿牌", "yellow_green"),
     ("渐变绿", "green"), ("BLUE", "blue"), ("紫", "unknown"), (None, "unknown")],
)  # fmt: skip
def test_colour_words_of_other_camera_systems(given: Any, colour: str) -> None:
    assert colour_of(given) == colour


def test_confidence_in_percent_or_fraction() -> None:
    assert (confidence_of(97), confidence_of("0.91"), confidence_of("x"), confidence_of(None)) == (
        0.97, 0.91, None, None,
    )  # fmt: skip
