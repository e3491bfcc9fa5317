"""Filing photos from the database into the evidence store gives way to passages."""

from __future__ import annotations

import asyncio
import threading

from hub.components.ledger import filing
from tests.components.ledger.conftest import passage
from tests.conftest import wait_until


async def _record(hub, n: int) -> None:
    await hub.services.async_call("ledger", "record_passage", passage(n))


async def _pending(hub) -> int:
    _, rows = await hub.db.connection.execute_query("SELECT count(*) FROM ledger_evidence_pending")
    return int(rows[0][0])


def _hold_first_batch(monkeypatch) -> tuple[threading.Event, threading.Event]:
    """The first batch a round files waits on its thread until the test lets it go."""
    in_round, go_on = threading.Event(), threading.Event()
    file = filing.EvidenceFiling._file

    def held(self, photos):
        if not in_round.is_set():
            in_round.set()
            go_on.wait(10)
        return file(self, photos)

    monkeypatch.setattr(filing.EvidenceFiling, "_file", held)
    return in_round, go_on


async def test_a_round_begun_in_a_quiet_moment_stops_when_passages_come_and_ends_later(
    ledger_hub, monkeypatch
) -> None:
    monkeypatch.setattr(filing, "QUIET_SECONDS", 0.5)
    monkeypatch.setattr(filing, "BATCH", 1)
    in_round, go_on = _hold_first_batch(monkeypatch)
    hub = await ledger_hub()
    ledger = hub.data["ledger"]
    for n in range(3):
        await _record(hub, n)  # six photos: the gate then goes quiet and a round begins
    await asyncio.wait_for(asyncio.to_thread(in_round.wait, 10), 10)
    await _record(hub, 3)  # the gate is busy again while the round files its first photo
    go_on.set()
    await wait_until(lambda: ledger.filing.filed >= 1)  # the photo it had in hand
    for n in range(4, 24):  # and the gate stays busy: no quiet moment of half a second
        await _record(hub, n)
    assert ledger.filing.filed == 1  # the round gave way
    assert await _pending(hub) == 2 * 24 - 1
    # The next quiet moment files the rest, the photos that came meanwhile too.
    await wait_until(lambda: ledger.filing.filed == 2 * 24, timeout=20)
    assert await _pending(hub) == 0
    assert (await hub.services.async_call("ledger", "verify", {}))["ok"]


async def test_a_backlog_at_its_limit_is_filed_though_the_gate_never_goes_quiet(
    ledger_hub, monkeypatch
) -> None:
    monkeypatch.setattr(filing, "QUIET_SECONDS", 60)
    monkeypatch.setattr(filing, "MAX_BACKLOG", 6)
    hub = await ledger_hub()
    for n in range(3):  # six photos: the limit
        await _record(hub, n)
    await wait_until(lambda: hub.data["ledger"].filing.filed == 6, timeout=10)
    assert await _pending(hub) == 0
