"""The chain writer under bulk appends: rows sealed ahead of their transaction end up exactly as if
sealed inside it, whoever else appends to the same chain meanwhile — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest

import hub.components.ledger.writer as writer_module
from hub.components.ledger.chain import RECORD_CHAIN, seal
from hub.components.ledger.rows import SELECT_LIST, passage_row, record_dict
from hub.components.ledger.schemas import RecordPassage
from hub.components.ledger.writer import ChainWriter
from hub.core.const import EVENT_PASSAGE_RECORDED
from tests.components.ledger.conftest import passage
from tests.conftest import wait_until


def _rows(hub: Any, first: int, count: int) -> list[dict[str, Any]]:
    return [
        passage_row(RecordPassage.model_validate(passage(n, images={})), {}, hub.now(), None)
        for n in range(first, first + count)
    ]


async def _stored(hub: Any) -> list[tuple[Any, ...]]:
    _, rows = await hub.db.connection.execute_query(f"SELECT {SELECT_LIST} FROM ledger_record ORDER BY seq")
    return [tuple(r) for r in rows]


async def _assert_chain(hub: Any, appended: list[dict[str, Any]]) -> None:
    """The chain verifies, has no gap, and every appended row carries what was committed for it."""
    verdict = await hub.services.async_call("ledger", "verify", {"evidence": False})
    assert verdict["ok"], verdict
    stored = await _stored(hub)
    assert [r[0] for r in stored] == list(range(1, len(stored) + 1))
    by_seq = {r[0]: r for r in stored}
    for row in appended:
        db = by_seq[row["seq"]]
        assert (db[0], db[-2], db[-1]) == (row["seq"], row["prev_hash"], row["hash"])
        assert db[RECORD_CHAIN.columns.index("passage_id")] == row["passage_id"]


def _count_seals(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]

    def counting(*args: Any) -> tuple[Any, ...]:
        calls[0] += 1
        return seal(*args)

    monkeypatch.setattr(writer_module, "seal", counting)
    return calls


async def test_a_bulk_append_is_sealed_once_and_fires_every_event_in_order(ledger_hub, monkeypatch) -> None:
    hub = await ledger_hub()
    ledger = hub.data["ledger"]
    events: list[dict[str, Any]] = []
    hub.bus.async_listen(EVENT_PASSAGE_RECORDED, lambda event: events.append(dict(event.data)))
    seals = _count_seals(monkeypatch)
    rows = _rows(hub, 0, 2777)  # three transactions, the last not a round number of rows
    await ledger.records.async_append_many(rows)
    # Nobody else appended: each row was sealed once, ahead of its transaction or in it.
    assert seals[0] == len(rows)
    await _assert_chain(hub, rows)
    await wait_until(lambda: len(events) == len(rows))
    stored = await _stored(hub)
    assert [e["seq"] for e in events] == list(range(1, len(rows) + 1))
    assert events == [record_dict(r) for r in stored]


async def test_a_lingering_row_waits_for_a_passage_and_shares_its_commit(ledger_hub, monkeypatch) -> None:
    hub = await ledger_hub()
    records = hub.data["ledger"].records
    transactions = []
    original = ChainWriter._transaction

    async def counted(self, batch, end):
        transactions.append([row["passage_id"] for item in batch for row in item.rows])
        return await original(self, batch, end)

    monkeypatch.setattr(ChainWriter, "_transaction", counted)
    follow_up, urgent = _rows(hub, 1, 2)
    lingering = records.append_nowait(follow_up, urgent=False, linger=30)
    await asyncio.sleep(0.2)
    assert not lingering.done() and transactions == []  # nothing to share a commit with yet
    committed = await records.async_append(urgent, key=urgent["passage_id"])
    assert (await lingering)["seq"] == 1 and committed["seq"] == 2
    assert transactions == [[follow_up["passage_id"], urgent["passage_id"]]]  # one commit for both
    short = records.append_nowait(_rows(hub, 3, 1)[0], urgent=False, linger=0.05)
    assert (await asyncio.wait_for(short, 5))["seq"] == 3  # alone, once its linger is over
    await _assert_chain(hub, [await lingering, committed, await short])


async def test_rows_sealed_against_a_stale_head_are_sealed_again(ledger_hub, monkeypatch) -> None:
    """A second writer on the same database appends between this writer's transactions: what this
    one sealed ahead no longer fits and is sealed again, in the transaction."""
    hub = await ledger_hub()
    ledger = hub.data["ledger"]
    other = ChainWriter(RECORD_CHAIN, ledger.dialect)
    other.start()
    try:
        first = await ledger.records.async_append_many(_rows(hub, 0, 1500))
        await other.async_append_many(_rows(hub, 5000, 3))  # the head moves behind the writer's back
        seals = _count_seals(monkeypatch)
        more = _rows(hub, 1500, 1200)
        await ledger.records.async_append_many(more)
    finally:
        await other.async_stop()
    assert more[0]["seq"] == 1504 and seals[0] > len(more)  # the first transaction's rows twice
    await _assert_chain(hub, first + more)


async def test_two_writers_interleaving_keep_one_unbroken_chain(ledger_hub) -> None:
    hub = await ledger_hub()
    ledger = hub.data["ledger"]
    other = ChainWriter(RECORD_CHAIN, ledger.dialect)
    other.start()
    mine, theirs = _rows(hub, 0, 2500), _rows(hub, 10_000, 2300)
    singles = _rows(hub, 20_000, 40)
    try:
        await asyncio.gather(
            ledger.records.async_append_many(mine),
            other.async_append_many(theirs),
            *(ledger.records.async_append(row) for row in singles[:20]),
            *(other.async_append(row) for row in singles[20:]),
        )
    finally:
        await other.async_stop()
    appended = mine + theirs + singles
    assert sorted(r["seq"] for r in appended) == list(range(1, len(appended) + 1))
    await _assert_chain(hub, appended)


async def test_a_duplicate_queued_behind_a_bulk_append_keeps_one_row(ledger_hub) -> None:
    hub = await ledger_hub()
    ledger = hub.data["ledger"]
    bulk = _rows(hub, 0, 1800)
    first, second, third = _rows(hub, 100_000, 3)
    again = dict(first)
    results = await asyncio.gather(
        ledger.records.async_append_many(bulk),
        ledger.records.async_append(first, key=first["passage_id"]),
        ledger.records.async_append(again, key=first["passage_id"]),
        ledger.records.async_append(second, key=second["passage_id"]),
        ledger.records.async_append(third, key=third["passage_id"]),
    )
    kept, duplicate = results[1], results[2]
    assert duplicate.get("duplicate") and (duplicate["seq"], duplicate["hash"]) == (kept["seq"], kept["hash"])
    assert results[4]["seq"] == results[3]["seq"] + 1 == kept["seq"] + 2
    await _assert_chain(hub, [*bulk, first, second, third])
    assert len(await _stored(hub)) == len(bulk) + 3
    # Again, queued behind another bulk append: sealed ahead while that one is committed, then found
    # to be a duplicate in its own transaction; the rows behind it take its place.
    later, last = _rows(hub, 200_000, 1200), _rows(hub, 300_000, 1)[0]
    repeat = {k: v for k, v in first.items() if k not in ("seq", "prev_hash", "hash")}
    results = await asyncio.gather(
        ledger.records.async_append_many(later),
        ledger.records.async_append(repeat, key=first["passage_id"]),
        ledger.records.async_append(last, key=last["passage_id"]),
    )
    assert results[1]["duplicate"] and results[1]["seq"] == kept["seq"] and "hash" not in repeat
    assert last["seq"] == later[-1]["seq"] + 1
    await _assert_chain(hub, [*bulk, first, second, third, *later, last])


async def test_a_bad_row_in_a_bulk_append_sinks_only_itself(ledger_hub) -> None:
    hub = await ledger_hub()
    ledger = hub.data["ledger"]
    rows = _rows(hub, 0, 2300)
    rows[1500]["plate"] = b"\xff"  # cannot be sealed: the whole chunk is retried row by row
    with pytest.raises(TypeError, match="bytes"):
        await ledger.records.async_append_many(rows)
    good = rows[:1500] + rows[1501:]
    assert len(await _stored(hub)) == len(good)
    await _assert_chain(hub, good)
    after = _rows(hub, 5000, 10)
    await ledger.records.async_append_many(after)
    await _assert_chain(hub, good + after)


async def _db_path(hub: Any) -> Path:
    _, rows = await hub.db.connection.execute_query("PRAGMA database_list")
    return Path(next(r[2] for r in rows if r[1] == "main"))


def _append_outside(path: Path, row: dict[str, Any]) -> dict[str, Any]:
    """What another process (an `ecogate ledger` run) does: its own connection, its own seal."""
    conn = sqlite3.connect(path, isolation_level=None, timeout=10)
    try:
        conn.execute("BEGIN IMMEDIATE")
        seq, prev = conn.execute("SELECT seq, hash FROM ledger_record ORDER BY seq DESC LIMIT 1").fetchone()
        values = seal(RECORD_CHAIN, row, seq + 1, prev)
        columns = ", ".join((*RECORD_CHAIN.columns, "hash"))
        conn.execute(f"INSERT INTO ledger_record ({columns}) VALUES ({', '.join('?' * len(values))})", values)
        conn.execute("COMMIT")
    finally:
        conn.close()
    return row


async def test_an_append_by_another_process_is_noticed(ledger_hub, database) -> None:
    if "postgres" in database:
        pytest.skip("another process on SQLite: the file lock and the head read inside the transaction")
    hub = await ledger_hub()
    ledger = hub.data["ledger"]
    first = await ledger.records.async_append_many(_rows(hub, 0, 1200))
    outside = await hub.async_add_executor_job(_append_outside, await _db_path(hub), _rows(hub, 9000, 1)[0])
    more = _rows(hub, 1200, 1500)
    await ledger.records.async_append_many(more)
    assert more[0]["seq"] == outside["seq"] + 1 and more[0]["prev_hash"] == outside["hash"]
    await _assert_chain(hub, [*first, outside, *more])
