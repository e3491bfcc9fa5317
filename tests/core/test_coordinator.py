"""The coordinator (a device's data on an interval or pushed) and Entity.async_on_remove, seen from states."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import pytest

from hub.core import Context, EntityDescription, Hub
from hub.core.coordinator import CoordinatorEntity, DataUpdateCoordinator, UpdateFailed
from hub.core.entity import Entity
from tests.common import wait_entity

LOGGER = logging.getLogger("tests.coordinator")
INTERVAL = 3600.0  # far beyond a test's real run time: only the ManualClock makes a poll due


class Device:
    """A fake device answering a script of outcomes: a number, or an exception to raise."""

    def __init__(self, script: list[Any]) -> None:
        self.script = list(script)
        self.fetches = 0

    async def async_fetch(self) -> int:
        self.fetches += 1
        outcome = self.script.pop(0) if self.script else self.fetches
        if isinstance(outcome, Exception):
            raise outcome
        return int(outcome)


class Reading(CoordinatorEntity[DataUpdateCoordinator[int]]):
    entity_description = EntityDescription(key="reading", name="Reading")

    @property
    def state(self) -> int | None:
        return self.coordinator.data


async def polled(hub: Hub, device: Device, **kwargs: Any) -> DataUpdateCoordinator[int]:
    coordinator: DataUpdateCoordinator[int] = DataUpdateCoordinator(
        hub, LOGGER, name="Test device", update_interval=INTERVAL, update_method=device.async_fetch, **kwargs
    )
    await hub.entities.async_add("test", [Reading(coordinator)])
    coordinator.async_start()
    await hub.async_block_till_done()
    return coordinator


def value(hub: Hub) -> str:
    state = hub.states.get("sensor.reading")
    assert state is not None
    return state.state


async def test_a_polled_device_is_fetched_at_start_and_then_each_interval_on_the_hubs_clock(
    make_hub, clock
) -> None:
    hub = await make_hub(clock=clock)
    device = Device([10, 20, 30])
    await polled(hub, device)
    assert (device.fetches, value(hub)) == (1, "10")
    clock.advance(INTERVAL - 1)
    await hub.async_block_till_done()
    assert (device.fetches, value(hub)) == (1, "10")
    clock.advance(1)
    await hub.async_block_till_done()
    assert (device.fetches, value(hub)) == (2, "20")
    clock.advance(INTERVAL)
    await hub.async_block_till_done()
    assert (device.fetches, value(hub)) == (3, "30")


async def test_a_poll_also_comes_when_real_time_passes_while_the_manual_clock_stands(make_hub, clock) -> None:
    # Simulated PLCs in tests with a ManualClock are still polled: the interval is due on either clock.
    hub = await make_hub(clock=clock)
    coordinator: DataUpdateCoordinator[int] = DataUpdateCoordinator(
        hub, LOGGER, name="Fast device", update_interval=0.05, update_method=Device([]).async_fetch
    )
    await hub.entities.async_add("test", [Reading(coordinator)])
    coordinator.async_start()
    await wait_entity(hub, "sensor.reading", lambda state: state.state == "3", timeout=5)


FAIL = UpdateFailed("no valid reply within 0.3 s")


@pytest.mark.parametrize(
    ("script", "states", "warnings", "recoveries"),
    [
        ([1, 2, 3], ["1", "2", "3"], 0, 0),
        ([FAIL, 2], ["unavailable", "2"], 1, 1),
        ([1, FAIL, FAIL, FAIL, 5], ["1", "unavailable", "unavailable", "unavailable", "5"], 1, 1),
        ([1, FAIL, 3, FAIL, 5], ["1", "unavailable", "3", "unavailable", "5"], 2, 2),
        ([1, ValueError("bug"), 3], ["1", "unavailable", "3"], 1, 1),
    ],
    ids=["healthy", "down-at-start", "one-long-outage", "two-outages", "a-bug"],
)
async def test_availability_follows_the_last_fetch_and_an_outage_is_logged_loud_once_then_quiet(
    make_hub, clock, caplog, script, states, warnings, recoveries
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER.name)
    hub = await make_hub(clock=clock)
    await polled(hub, Device(script))
    seen = [value(hub)]
    for _ in script[1:]:
        clock.advance(INTERVAL)
        await hub.async_block_till_done()
        seen.append(value(hub))
    assert seen == states
    loud = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(loud) == warnings
    assert all(r.getMessage().startswith("Test device: not answering: ") for r in loud)
    back = [r for r in caplog.records if "answering again after" in r.getMessage()]
    assert len(back) == recoveries


async def test_a_bug_in_the_fetch_is_logged_with_its_traceback(make_hub, clock, caplog) -> None:
    hub = await make_hub(clock=clock)
    await polled(hub, Device([ValueError("a bug")]))
    assert value(hub) == "unavailable"
    [bug] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "unexpected error" in bug.getMessage() and bug.exc_info is not None


async def test_listeners_hear_only_changes_when_always_update_is_off(make_hub, clock) -> None:
    hub = await make_hub(clock=clock)
    coordinator = await polled(hub, Device([1, 1, 1, 2, 2, FAIL, 2]), always_update=False)
    heard: list[Any] = []
    coordinator.async_add_listener(lambda _context: heard.append(coordinator.data))
    for _ in range(6):
        clock.advance(INTERVAL)
        await hub.async_block_till_done()
    # 1 -> 1 -> 1 -> 2 -> 2 -> failure -> 2: the change, the outage and the way back.
    assert heard == [2, 2, 2]
    assert value(hub) == "2"


async def test_a_refresh_asked_for_while_one_runs_is_not_lost(make_hub, clock) -> None:
    hub = await make_hub(clock=clock)
    gate = asyncio.Event()
    fetched: list[int] = []

    async def slow() -> int:
        await gate.wait()
        fetched.append(len(fetched) + 1)
        return len(fetched)

    coordinator: DataUpdateCoordinator[int] = DataUpdateCoordinator(
        hub, LOGGER, name="Slow device", update_interval=INTERVAL, update_method=slow
    )
    await hub.entities.async_add("test", [Reading(coordinator)])
    coordinator.async_start()
    await asyncio.sleep(0)
    coordinator.async_request_refresh()  # e.g. a command sent while the first poll is on the wire
    gate.set()
    await hub.async_block_till_done(timeout=5)
    assert fetched == [1, 2]
    assert value(hub) == "2"


async def test_a_pushing_device_publishes_through_the_coordinator_with_the_callers_context(
    make_hub, clock, caplog
) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER.name)
    hub = await make_hub(clock=clock)
    coordinator: DataUpdateCoordinator[int] = DataUpdateCoordinator(hub, LOGGER, name="Pushing device")
    await hub.entities.async_add("test", [Reading(coordinator)])
    assert value(hub) == "unavailable"  # nothing heard yet
    context = Context(user_id="operator")
    coordinator.async_set_updated_data(7, context)
    state = hub.states.get("sensor.reading")
    assert (state.state, state.context.id) == ("7", context.id)
    assert coordinator.last_error is None
    coordinator.async_set_update_error(UpdateFailed("connection closed by the other end"))
    assert value(hub) == "unavailable"
    assert coordinator.last_error == "connection closed by the other end"
    clock.advance(12.5)
    coordinator.async_set_updated_data(8)
    assert (value(hub), coordinator.last_error) == ("8", None)
    assert any("answering again after 12.5 s" in r.getMessage() for r in caplog.records)


async def test_no_fetch_after_the_hub_stops(make_hub, clock) -> None:
    hub = await make_hub(clock=clock)
    device = Device([1, 2])
    await polled(hub, device)
    await hub.async_stop()
    clock.advance(INTERVAL * 3)
    await asyncio.sleep(0)
    assert device.fetches == 1


class Follower(Entity):
    """An entity that subscribes to things and leaves the letting go to async_on_remove."""

    entity_description = EntityDescription(key="follower")

    def __init__(self, coordinator: DataUpdateCoordinator[int], log: list[str]) -> None:
        self.coordinator = coordinator
        self.log = log

    async def async_added_to_hub(self) -> None:
        self.async_on_remove(lambda: self.log.append("first"))
        self.async_on_remove(self._broken)
        self.async_on_remove(self.coordinator.async_add_listener(lambda _c: self.log.append("update")))
        self.async_on_remove(lambda: self.log.append("last"))

    def _broken(self) -> None:
        raise RuntimeError("a broken unsubscribe")


@pytest.mark.parametrize("how", ["entity removed", "hub stopped"])
async def test_on_remove_callbacks_run_last_first_once_and_past_a_failing_one(make_hub, clock, how) -> None:
    hub = await make_hub(clock=clock)
    coordinator: DataUpdateCoordinator[int] = DataUpdateCoordinator(hub, LOGGER, name="Device")
    log: list[str] = []
    remove: dict[str, Callable[[], Any]] = {
        "entity removed": lambda: hub.entities.async_remove("sensor.follower"),
        "hub stopped": hub.async_stop,
    }
    await hub.entities.async_add("test", [Follower(coordinator, log)])
    coordinator.async_set_updated_data(1)
    assert log == ["update"]
    await remove[how]()
    assert log == ["update", "last", "first"]
    coordinator.async_set_updated_data(2)  # the listener went with the entity
    assert log == ["update", "last", "first"]
