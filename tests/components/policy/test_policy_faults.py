"""The gate under faults it cannot fix: a database locked by another process, the wall clock stepped by
NTP. What is asserted is what the guard and an inspector see: the barrier, the alarm entity, the
decision events and the rows in the ledger.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from datetime import timedelta
from pathlib import Path
from typing import Any

from hub.core import Context, Event, Hub, ManualClock
from hub.core.const import EVENT_GATE_DECISION, EVENT_PLATE_READ
from tests.common import expect_event, wait_state, wait_until
from tests.components.policy.conftest import (
    config,
    fire_read,
    lifecycle,
    read,
    records,
    seed,
    user_context,
    watch_opening,
)

COVER = "cover.east_in_barrier"
FAULT = "binary_sensor.ledger_fault"
DECISION = "sensor.east_in_decision"

# Holds SQLite's write lock the way another program would (`sqlite3 db 'BEGIN EXCLUSIVE'`), until told.
LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)
if len(sys.argv) > 2:  # wait for the word
    sys.stdin.readline()
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""


async def start_gate(make_hub: Any, clock: ManualClock, plant: Path, policy: str = "") -> Hub:
    """The policy's test plant, with SQLite's busy wait cut to 0.2 s so that a held lock fails fast."""
    url = f"sqlite://{plant / 'data' / 'ecogate.db'}?journal_mode=WAL&busy_timeout=200"
    text = config(policy).replace("hub: {name: 准入测试}", f"hub: {{name: 准入测试, db_url: '{url}'}}")
    hub = await make_hub(text, clock=clock, config_dir=plant)
    assert {"ledger", "vehicles", "policy"} <= set(hub.loaded), hub.setup_errors
    await wait_state(hub, "binary_sensor.east_in_barrier_online", "on")
    await wait_state(hub, COVER, "closed")
    await seed(hub)
    return hub


def fire(hub: Hub, plate: str) -> tuple[str, Awaitable[Event]]:
    data = read(plate)
    answer = expect_event(hub, EVENT_GATE_DECISION, {"read_id": data["read_id"]}, 30)
    hub.bus.async_fire(EVENT_PLATE_READ, data, Context(id=data["read_id"]))
    return data["read_id"], answer


async def rows_of(hub: Hub, read_id: str, timeout: float = 30) -> list[dict[str, Any]]:
    """The ledger's rows about a read (its passage and follow-ups), once its passage is there."""
    async with asyncio.timeout(timeout):
        while True:
            rows = await records(hub)
            passage = next((r for r in rows if r["kind"] == "passage" and r["read_id"] == read_id), None)
            if passage is not None:
                return [r for r in rows if r["passage_id"] == passage["passage_id"]]
            await asyncio.sleep(0.1)


def never_acted_on(rows: list[dict[str, Any]]) -> bool:
    """Recorded as never acted on: held for the guard because it expired or the ledger refused it
    (recorded once it could be), or a passage whose lifecycle was cut because its read expired."""
    passage = rows[0]
    if passage["reason_code"] in ("read_expired", "ledger_failed"):
        return passage["decision"] == "review"
    return any(
        r["kind"] == "lifecycle" and r["status"] == "interrupted" and r["reason_code"] == "read_expired"
        for r in rows
    )


async def audited(hub: Hub, action: str) -> list[dict[str, Any]]:
    return (await hub.services.async_call("ledger", "audit_query", {"action": action}))["items"]


async def test_a_locked_database_keeps_the_barrier_shut_says_so_and_recovers(make_hub, clock, tmp_path):
    hub = await start_gate(make_hub, clock, tmp_path / "plant")
    inspector = await user_context(hub, "inspector1", "inspector")
    opened = watch_opening(hub)
    locker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LOCKER, str(hub.data_dir / "ecogate.db"),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        assert locker.stdout is not None and locker.stdin is not None
        assert (await asyncio.wait_for(locker.stdout.readline(), 10)).strip() == b"locked"

        # A read the ledger cannot record: the barrier stays shut and the guard sees why.
        first = await fire_read(hub, "冀B60006", timeout=30)
        assert (first["decision"], first["allowed"]) == ("error", False)
        assert first["reason_code"] == "ledger_failed"
        await wait_state(hub, FAULT, "on", timeout=30)
        assert "locked" in hub.states.get(FAULT).attributes["reason"]
        assert hub.states.get(DECISION).state == "error"
        # A person's call meanwhile: its audit row cannot be written now, and is not lost.
        await hub.services.async_call("ledger", "query", {"plate": "冀B60006"}, inspector)

        # Two more trucks read while the lock is held; they wait at the lane for longer than a read
        # may be acted on.
        waiting = [fire(hub, "冀B66666"), fire(hub, "冀B50005")]
        await asyncio.sleep(0)
        clock.advance(11)
        # The lock is held three seconds more: longer than the ledger's own retries of a commit
        # (~1.5 s with this busy timeout), so rows are refused, not merely delayed.
        await asyncio.sleep(3)
    finally:
        assert locker.stdin is not None
        locker.stdin.write(b"\n")
        await locker.stdin.drain()
        await asyncio.wait_for(locker.wait(), 10)

    for _, answer in waiting:
        assert (await answer).data["allowed"] is False
    await wait_state(hub, FAULT, "off", timeout=30)
    # Every read is in the ledger, recorded as never acted on; the barrier never moved for them.
    for read_id in [first["read_id"], *(read_id for read_id, _ in waiting)]:
        assert never_acted_on(await rows_of(hub, read_id)), await rows_of(hub, read_id)
    assert opened == []
    await hub.async_block_till_done()
    await wait_until(lambda: audited(hub, "ledger.query"), timeout=30, interval=0.1)

    # Recovered by itself: the next truck is decided, recorded and let in as ever.
    clock.advance(300)
    fresh = await fire_read(hub, "冀B60006")
    assert fresh["decision"] == "allow" and fresh["allowed"] is True
    await wait_state(hub, COVER, "opening")


async def test_a_read_that_waited_too_long_is_recorded_as_expired_never_acted_on(make_hub, clock, tmp_path):
    hub = await start_gate(make_hub, clock, tmp_path / "plant", "read_max_age_seconds: 5")
    opened = watch_opening(hub)
    # The read reaches the hub; by the time the lane gets to it (the injected monotonic clock says)
    # it is six seconds old.
    read_id, answer = fire(hub, "冀B60006")
    clock.advance(6)
    event = (await answer).data
    assert (event["decision"], event["allowed"], event["reason_code"]) == ("review", False, "read_expired")
    assert "6 秒前" in event["reason_text"]
    rows = await rows_of(hub, read_id)
    assert (rows[0]["decision"], rows[0]["reason_code"]) == ("review", "read_expired")
    assert opened == []
    # The truck is still there and read again: a fresh read decides anew (not merged into the expired).
    again = await fire_read(hub, "冀B60006")
    assert (again["decision"], again["allowed"]) == ("allow", True)
    await wait_state(hub, COVER, "opening")


async def test_ntp_steps_of_the_wall_clock_neither_merge_nor_split_passages(make_hub, clock, tmp_path):
    hub = await start_gate(make_hub, clock, tmp_path / "plant")
    first = await fire_read(hub, "冀B60006")
    assert first["decision"] == "allow"
    await wait_state(hub, COVER, "closed", timeout=10)

    # NTP steps the wall clock ten minutes ahead; the same truck is read again a second later: the
    # same passage (a repeat read), not a second one.
    clock.set(clock.now() + timedelta(minutes=10))
    clock.advance(1)
    hub.bus.async_fire(EVENT_PLATE_READ, read("冀B60006"), Context())
    await hub.async_block_till_done()
    passages = [r for r in await records(hub) if r["kind"] == "passage"]
    assert len(passages) == 1

    # Five minutes later (monotonic) NTP steps the wall clock back by twenty: by the wall clock the
    # first read was "five minutes in the future". A new passage all the same, and a fresh read.
    clock.advance(300)
    clock.set(clock.now() - timedelta(minutes=20))
    second = await fire_read(hub, "冀B60006")
    assert (second["decision"], second["reason_code"]) == ("allow", "allowed")
    assert second["passage_id"] != first["passage_id"]
    # The ledger's order is its sequence, whatever the wall clock said.
    passages = [r for r in await records(hub) if r["kind"] == "passage"]
    assert [p["passage_id"] for p in passages] == [first["passage_id"], second["passage_id"]]
    assert passages[0]["seq"] < passages[1]["seq"]
    assert passages[1]["recorded_at"] < passages[0]["recorded_at"]  # as stepped: recorded, not reordered


async def test_lifecycle_steps_the_ledger_cannot_take_wait_and_land_in_order(make_hub, clock, tmp_path):
    hub = await start_gate(make_hub, clock, tmp_path / "plant")
    locker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LOCKER, str(hub.data_dir / "ecogate.db"), "on-signal",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert locker.stdout is not None and locker.stdin is not None
    try:
        decision = await fire_read(hub, "冀B60006")
        assert decision["allowed"] is True
        # The truck drives through while another program holds the database.
        locker.stdin.write(b"lock\n")
        await locker.stdin.drain()
        assert (await asyncio.wait_for(locker.stdout.readline(), 10)).strip() == b"locked"
        await wait_state(hub, COVER, "closed")
        await wait_state(hub, FAULT, "on", timeout=30)
        # The fault lasts three seconds: longer than the ledger's own retries of a commit (~1.5 s
        # with this busy timeout), so the steps are refused, not merely delayed.
        await asyncio.sleep(3)
    finally:
        locker.stdin.write(b"\n")
        await locker.stdin.drain()
        await asyncio.wait_for(locker.wait(), 10)
    await wait_state(hub, FAULT, "off", timeout=30)

    async def closed() -> bool:
        return "closed" in lifecycle(await records(hub, decision["passage_id"]))

    await wait_until(closed, timeout=30, interval=0.1)
    assert lifecycle(await records(hub, decision["passage_id"])) == ["opening", "passed", "closed"]
