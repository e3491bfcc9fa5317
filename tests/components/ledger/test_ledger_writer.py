"""The chain writer: one unbroken chain whoever appends, group commit, idempotent appends, a bad row
failing alone — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from hub.components.ledger.chain import RECORD_CHAIN, seal
from hub.components.ledger.rows import SELECT_LIST, passage_row, record_dict
from hub.components.ledger.schemas import RecordPassage
from hub.components.ledger.writer import ChainWriter
from hub.core.const import EVENT_PASSAGE_RECORDED
from tests.common import wait_until
from tests.components.ledger.conftest import passage, traced


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


async def test_a_bulk_append_fires_every_event_in_order(ledger_hub) -> None:
    hub = await ledger_hub()
    ledger = hub.data["ledger"]
    events: list[dict[str, Any]] = []
    hub.bus.async_listen(EVENT_PASSAGE_RECORDED, lambda event: events.append(dict(event.data)))
    rows = _rows(hub, 0, 2777)  # three transactions, the last not a round number of rows
    await ledger.records.async_append_many(rows)
    await _assert_chain(hub, rows)
    await wait_until(lambda: len(events) == len(rows))
    stored = await _stored(hub)
    assert [e["seq"] for e in events] == list(range(1, len(rows) + 1))
    assert events == [record_dict(r) for r in stored]


def _inserted(statements: list[str]) -> list[int]:
    """Rows inserted into the passage chain per committed transaction, from a statement trace."""
    commits: list[int] = []
    count = 0
    for statement in statements:
        if statement.startswith('INSERT INTO "ledger_record"'):
            count += 1
        elif statement == "COMMIT" and count:
            commits.append(count)
            count = 0
    return commits


async def test_rows_that_come_while_a_commit_is_under_way_share_the_next_one(
    ledger_hub, database, tmp_path
) -> None:
    """Group commit: a lone row is committed at once; the rows queued behind its transaction go
    in the next one, together."""
    if "postgres" in database:
        pytest.skip("the statement trace is SQLite's")
    hub = await ledger_hub()
    records = hub.data["ledger"].records
    first, *behind = _rows(hub, 0, 4)
    begun = threading.Event()

    def hook(statement: str) -> None:
        if statement.startswith("BEGIN"):
            begun.set()

    # Another connection holds the write lock: the first row's transaction waits for it.
    blocker = sqlite3.connect(await _db_path(hub), isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        async with traced(hub, hook) as statements:
            lone = asyncio.ensure_future(records.async_append(first, key=first["passage_id"]))
            assert await asyncio.wait_for(asyncio.to_thread(begun.wait, 10), 15)
            queued = [asyncio.ensure_future(records.async_append(r, key=r["passage_id"])) for r in behind]
            blocker.execute("ROLLBACK")
            committed = await asyncio.wait_for(asyncio.gather(lone, *queued), 15)
    finally:
        blocker.close()
    assert [r["seq"] for r in committed] == [1, 2, 3, 4]
    assert _inserted(statements) == [1, 3]
    await _assert_chain(hub, committed)


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
    # Again, in a later transaction: found in the chain, not inserted; the rows behind it take its place.
    later, last = _rows(hub, 200_000, 1200), _rows(hub, 300_000, 1)[0]
    repeat = {k: v for k, v in first.items() if k not in ("seq", "prev_hash", "hash")}
    results = await asyncio.gather(
        ledger.records.async_append_many(later),
        ledger.records.async_append(repeat, key=first["passage_id"]),
        ledger.records.async_append(last, key=last["passage_id"]),
    )
    assert results[1]["duplicate"] and results[1]["seq"] == kept["seq"]
    assert last["seq"] == later[-1]["seq"] + 1
    await _assert_chain(hub, [*bulk, first, second, third, *later, last])
    assert len(await _stored(hub)) == len(bulk) + 3 + len(later) + 1


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


async def test_a_bad_passage_among_concurrent_ones_fails_alone(ledger_hub) -> None:
    """Passages committed together: the one that cannot be stored gets its error, its neighbours
    their rows, in one unbroken chain."""
    hub = await ledger_hub()
    records = hub.data["ledger"].records
    rows = _rows(hub, 0, 9)
    rows[4]["fleet"] = b"\xff"
    results = await asyncio.gather(
        *(records.async_append(r, key=r["passage_id"]) for r in rows), return_exceptions=True
    )
    assert isinstance(results[4], TypeError)
    good = [r for i, r in enumerate(results) if i != 4]
    assert sorted(r["seq"] for r in good) == list(range(1, 9))
    await _assert_chain(hub, good)


async def _db_path(hub: Any) -> Path:
    _, rows = await hub.db.connection.execute_query("PRAGMA database_list")
    return Path(next(r[2] for r in rows if r[1] == "main"))


def _append_outside(path: Path, row: dict[str, Any]) -> dict[str, Any]:
    """What another process does: its own connection, its own seal."""
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
