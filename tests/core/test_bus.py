"""The event bus: ordering, isolation of failing listeners, unsubscribe, waiting for events."""

from __future__ import annotations

import asyncio
import logging
import random
import subprocess
import sys
from pathlib import Path
from typing import NotRequired, get_origin, get_type_hints

import pytest

from hub.core import Context, Event, EventBus, ManualClock
from hub.core.const import EVENT_PLATE_READ, MATCH_ALL, EventType
from hub.core.events import PlateReadData, RecordFollowupData


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


def _plate_read(plate: str) -> PlateReadData:
    return PlateReadData(
        read_id="01JREAD", gate="north", lane="in1", direction="in", plate=plate, colour="yellow",
        confidence=0.97, needs_review=False, source="camera.north_in1",
        captured_at="2026-11-24T08:00:00+08:00", read_at="2026-11-24T08:00:00+08:00", photos={},
    )  # fmt: skip


async def test_a_typed_event_is_its_plain_name_on_the_bus(bus: EventBus) -> None:
    """Typing is for the checker only: a listener by plain name, MATCH_ALL and one by EventType all get
    the typed event, and an EventType made at run time (an automation's) is its name."""
    by_type: list[Event[PlateReadData]] = []
    by_name: list[str] = []
    bus.async_listen(EVENT_PLATE_READ, by_type.append)
    bus.async_listen("plate_read", lambda e: by_name.append(e.data["plate"]))
    bus.async_listen(MATCH_ALL, lambda e: by_name.append(e.event_type))
    event = bus.async_fire(EVENT_PLATE_READ, _plate_read("冀A12345"))
    assert by_type == [event] and by_name == ["冀A12345", "plate_read"]
    assert event.event_type == "plate_read" and type(event.event_type) is str
    assert event.as_dict()["data"] == dict(_plate_read("冀A12345"))
    with pytest.raises(TypeError):
        event.data["plate"] = "津B67890"  # type: ignore[index]  # the test: read-only at run time
    bus.async_fire(EventType("plate_read"), {"plate": "京C00001"})
    assert by_name[-2:] == ["京C00001", "plate_read"] and len(by_type) == 2


def test_the_type_checker_refuses_a_listener_or_data_of_another_event(tmp_path: Path) -> None:
    """The contract is checked by mypy, not at run time: a listener of gate decisions subscribed to
    plate reads, and a plate read fired as a gate decision, are both errors; the right ones are not."""
    pytest.importorskip("mypy")
    snippet = tmp_path / "wiring.py"
    snippet.write_text(
        "from hub.core.bus import Event, EventBus\n"
        "from hub.core.const import EVENT_GATE_DECISION, EVENT_PLATE_READ\n"
        "from hub.core.events import GateDecisionData, PlateReadData\n"
        "def wire(bus: EventBus, read: PlateReadData) -> None:\n"
        "    def on_read(event: Event[PlateReadData]) -> None: ...\n"
        "    def on_decision(event: Event[GateDecisionData]) -> None: ...\n"
        "    def on_any(event: Event) -> None: ...\n"
        "    bus.async_listen(EVENT_PLATE_READ, on_read)\n"
        "    bus.async_listen(EVENT_PLATE_READ, on_any)\n"
        "    bus.async_fire(EVENT_PLATE_READ, read)\n"
        "    bus.async_listen(EVENT_PLATE_READ, on_decision)  # line 11\n"
        "    bus.async_fire(EVENT_GATE_DECISION, read)  # line 12\n"
        "    bus.async_fire('plate_read', read)  # line 13: a plain name is no EventType\n",
        encoding="utf-8",
    )
    root = Path(__file__).resolve().parents[2]
    # In a process of its own: mypy raises the interpreter's recursion limit for good, which would let
    # later tests' hostile `[[[[...` payloads parse instead of being refused as too deep. The project's
    # cache (left by `make test`'s `mypy hub`) keeps the run to a few seconds.
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(root / "pyproject.toml"),
         "--no-error-summary", "--no-pretty", str(snippet)],
        cwd=root, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    out, status = run.stdout, run.returncode
    lines = sorted(int(line.split(":")[1]) for line in out.splitlines() if ": error:" in line)
    assert status == 1 and lines == [11, 12, 13], out + run.stderr


def test_service_data_typed_in_the_core_matches_the_owning_rooms_schema() -> None:
    """RecordFollowupData mirrors the ledger's own model (the truth): a field added or renamed there
    must be added here, or the rooms that build the data are checked against a stale contract."""
    from hub.components.ledger.schemas import RecordFollowup

    hints = get_type_hints(RecordFollowupData, include_extras=True)
    assert set(hints) == set(RecordFollowup.model_fields)
    required = {name for name, hint in hints.items() if get_origin(hint) is not NotRequired}
    assert required == {name for name, field in RecordFollowup.model_fields.items() if field.is_required()}
