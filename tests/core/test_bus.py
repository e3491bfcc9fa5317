"""The event bus: ordering, isolation of failing listeners, unsubscribe, waiting for events."""

from __future__ import annotations

import asyncio
import logging
import random

import pytest

from hub.core import Context, EventBus, ManualClock
from hub.core.const import MATCH_ALL


@pytest.fixture
def bus(clock: ManualClock) -> EventBus:
    return EventBus(clock)


async def test_coroutine_listener_gets_events_in_fired_order_even_when_slow(bus: EventBus) -> None:
    seen: list[int] = []
    rng = random.Random(1)

    async def slow(event) -> None:
        await asyncio.sleep(rng.random() / 1000)
        seen.append(event.data["n"])

    bus.async_listen("tick", slow)
    for n in range(200):
        bus.async_fire("tick", {"n": n})
    await bus.async_drain()
    assert seen == list(range(200))


async def test_plain_listener_runs_inline_and_a_failing_listener_does_not_stop_others(
    bus: EventBus, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def broken(event) -> None:
        raise RuntimeError("boom")

    async def broken_async(event) -> None:
        raise RuntimeError("async boom")

    bus.async_listen("x", broken)
    bus.async_listen("x", broken_async)
    bus.async_listen("x", lambda e: seen.append(e.data["v"]))
    with caplog.at_level(logging.ERROR):
        bus.async_fire("x", {"v": "a"})
        assert seen == ["a"]  # inline: already delivered when async_fire returns
        await bus.async_drain()
        bus.async_fire("x", {"v": "b"})
        await bus.async_drain()
    assert seen == ["a", "b"]
    assert "boom" in caplog.text and "async boom" in caplog.text


async def test_unsubscribe_listen_once_and_match_all(bus: EventBus) -> None:
    seen: list[str] = []
    unsub = bus.async_listen("a", lambda e: seen.append("a"))
    bus.async_listen_once("b", lambda e: seen.append("b-once"))
    bus.async_listen(MATCH_ALL, lambda e: seen.append(f"all:{e.event_type}"))
    bus.async_fire("a")
    bus.async_fire("b")
    bus.async_fire("b")
    unsub()
    bus.async_fire("a")
    assert seen == ["a", "all:a", "b-once", "all:b", "all:b", "all:a"]


async def test_event_carries_context_and_clock_time(bus: EventBus, clock: ManualClock) -> None:
    ctx = Context(user_id="u1")
    event = bus.async_fire("y", {"k": 1}, ctx)
    assert event.context is ctx and event.time_fired == clock.now()
    with pytest.raises(TypeError):
        event.data["k"] = 2  # type: ignore[index]


async def test_wait_for_matches_predicate_and_times_out(bus: EventBus) -> None:
    async def later() -> None:
        await asyncio.sleep(0.01)
        bus.async_fire("plate", {"plate": "冀A12345"})
        bus.async_fire("plate", {"plate": "津B67890"})

    task = asyncio.create_task(later())
    event = await bus.async_wait_for("plate", lambda e: e.data["plate"].startswith("津"), timeout=2)
    assert event.data["plate"] == "津B67890"
    await task
    with pytest.raises(TimeoutError, match="no never event"):
        await bus.async_wait_for("never", timeout=0.05)
    assert bus.listener_counts() == {}
