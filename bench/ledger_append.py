"""Append rate of hash-chained ledger passages against a raw SQLite executemany of the same rows.

    .venv/bin/python bench/ledger_append.py [--rows 20000] [--sequential 1000] [--repeat 3]
                                            [--db-url postgres://...]

Prints rows/s for: a bare chain writer (seal, idempotency check, insert, commit in transactions of
MAX_BATCH rows; no listeners), the ledger's own writer in bulk and fed by many concurrent callers
(the same plus firing `passage_recorded` for every row and running its listeners, here the ledger's
daily counters), the full `ledger.record_passage` service path, one-at-a-time awaited passages (a
commit each), and the raw baseline: sqlite3 executemany of the same sealed rows into a table of the
same schema and indexes, in one transaction (and in transactions of 1000 rows).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.components.ledger.chain import RECORD_CHAIN, seal
from hub.components.ledger.const import GENESIS_HASH
from hub.components.ledger.rows import passage_row
from hub.components.ledger.schemas import RecordPassage
from hub.components.ledger.writer import ChainWriter
from hub.core import Hub
from hub.core.const import EVENT_PASSAGE_RECORDED

STAGES = "6" * 40 + "5" * 35 + "4" * 10 + "D" * 10 + "3" * 5


def passage_data(rng: random.Random, n: int) -> dict:
    plate = "冀" + rng.choice("ABCDEFGHJ") + f"{rng.randrange(100000):05d}"
    return {
        "passage_id": str(uuid.uuid4()), "read_id": f"R{n}", "gate": rng.choice(["east_gate", "west_gate"]),
        "lane": rng.choice(["in", "out"]), "direction": rng.choice(["in", "out"]), "plate": plate,
        "colour": "yellow", "vehicle_class": "transport",
        "vehicle": {"emission_stage": rng.choice(STAGES), "fuel": rng.choice("BBBBEC"),
                    "fleet": "唐山顺达物流有限公司", "vehicle_type": "重型半挂牵引车",
                    "vin": "LFWADRJF1J1000001", "registered": True},
        "decision": "allow", "reason_code": "allowed", "reason_text": "国五柴油货车，准予入厂",
        "rule": "alert:none",
        "alert_level": "normal", "confidence": 0.97, "needs_review": False, "video_ref": f"nvr://{n}",
    }  # fmt: skip


class Delivered:
    """Counts `passage_recorded` events, to time an append up to its last event."""

    def __init__(self) -> None:
        self.count = 0
        self.target = 0
        self.done = asyncio.Event()

    def on_event(self, event: object) -> None:
        self.count += 1
        if self.count >= self.target:
            self.done.set()

    async def of(self, appending: Awaitable[object], rows: int) -> None:
        self.target = self.count + rows
        self.done.clear()
        await appending
        await asyncio.wait_for(self.done.wait(), 60)


async def table_schema(hub: Hub) -> list[str]:
    """The CREATE statements of `ledger_record` and its indexes (SQLite only)."""
    if hub.db.dialect != "sqlite":
        return []
    _, rows = await hub.db.connection.execute_query(
        "SELECT sql FROM sqlite_master WHERE tbl_name = 'ledger_record' AND sql IS NOT NULL"
    )
    return [r[0] for r in rows]


def raw_baseline(path: Path, rows: list[tuple], schema: list[str], batch: int | None) -> float:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    for statement in schema:
        conn.execute(statement)
    columns = (*RECORD_CHAIN.columns, "hash")
    sql = f"INSERT INTO ledger_record ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    started = time.perf_counter()
    step = batch or len(rows)
    for i in range(0, len(rows), step):
        with conn:
            conn.executemany(sql, rows[i : i + step])
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed


async def main(args: argparse.Namespace) -> None:
    rng = random.Random(1321)
    work = Path(tempfile.mkdtemp(prefix="ecogate-bench-append-"))
    db_line = f"  db_url: {args.db_url}\n" if args.db_url else ""
    (work / "configuration.yaml").write_text(f"hub:\n  name: bench\n{db_line}ledger:\n", encoding="utf-8")
    hub = Hub(work)
    await hub.async_start()
    ledger = hub.data["ledger"]
    print(f"database: {hub.db.dialect}  ({work})")

    # Timings end when the last row is committed AND its `passage_recorded` event has been fired
    # (the writer wakes its callers first and fires the events right after).
    delivered = Delivered()
    hub.bus.async_listen(EVENT_PASSAGE_RECORDED, delivered.on_event)

    data = [RecordPassage.model_validate(passage_data(rng, n)) for n in range(args.rows)]
    # The raw baseline inserts the same rows, sealed the same way. The machine is shared: raw, bare
    # writer and ledger writer run in turn --repeat times and the best time of each counts.
    same, prev = [], GENESIS_HASH
    for seq, row in enumerate((passage_row(d, {}, hub.now(), None) for d in data), start=1):
        same.append(seal(RECORD_CHAIN, row, seq, prev))
        prev = same[-1][-1]
    schema = await table_schema(hub)
    raw_times: list[float] = []
    writer_times: list[float] = []
    ledger_times: list[float] = []
    for attempt in range(args.repeat):
        if schema:
            raw_times.append(raw_baseline(work / f"raw{attempt}.db", same, schema, None))
        # 1a. A chain writer alone (no listeners): seal, check, insert, commit, into the same chain.
        bare = ChainWriter(RECORD_CHAIN, hub.db.dialect)
        bare.start()
        rows = [passage_row(d, {}, hub.now(), None) for d in data]
        started = time.perf_counter()
        await bare.async_append_many(rows)
        writer_times.append(time.perf_counter() - started)
        await bare.async_stop()
        # 1. The ledger's own writer in bulk (a replay, an import): the same, plus `passage_recorded`
        # for every row and its listeners.
        rows = [passage_row(d, {}, hub.now(), None) for d in data]
        started = time.perf_counter()
        await delivered.of(ledger.records.async_append_many(rows), args.rows)
        ledger_times.append(time.perf_counter() - started)
    writer_only, chained = min(writer_times), min(ledger_times)
    # 1b. The chain writer with one call per row from many callers at once (group commit).
    more = [passage_row(d, {}, hub.now(), None) for d in data]
    started = time.perf_counter()
    await delivered.of(asyncio.gather(*(ledger.records.async_append(r) for r in more)), args.rows)
    each = time.perf_counter() - started

    # 2. The same through the service path (validation, audit event, passage_recorded event).
    bodies = [passage_data(rng, n) for n in range(args.rows)]
    started = time.perf_counter()
    calls = asyncio.gather(*(hub.services.async_call("ledger", "record_passage", b) for b in bodies))
    await delivered.of(calls, args.rows)
    service = time.perf_counter() - started

    # 3. One at a time, each awaited: the latency a lone gate sees (one commit per passage).
    started = time.perf_counter()
    for n in range(args.sequential):
        await hub.services.async_call("ledger", "record_passage", passage_data(rng, n))
    sequential = time.perf_counter() - started

    verdict = await hub.services.async_call("ledger", "verify", {"evidence": False})
    await hub.async_stop()

    n = args.rows
    raw = raw_batched = 0.0
    if schema:
        raw = min(raw_times)
        raw_batched = raw_baseline(work / "raw-batched.db", same, schema, 1000)

    def rate(label: str, seconds: float, rows: int = n, goal: str = "") -> None:
        share = f"  = {raw / seconds:.2f} of raw{goal}" if raw else ""
        print(f"{label:43s} {rows / seconds:10.0f} rows/s{share}")

    chain = verdict["chains"][0]
    print(f"rows per run: {n}, best of {args.repeat}; chain verified: {verdict['ok']} ({chain['rows']} rows)")
    if raw:
        print(f"{'raw sqlite3 executemany, one transaction:':43s} {n / raw:10.0f} rows/s")
        print(f"{'raw sqlite3 executemany, commit every 1000:':43s} {n / raw_batched:10.0f} rows/s")
    else:
        print("(no raw baseline: it is SQLite; run without --db-url for the ratios)")
    rate("hash-chained, a chain writer, no listeners:", writer_only, goal=" (goal >= 0.5)")
    rate("hash-chained, ledger writer + events:", chained)
    rate("hash-chained, ledger writer, call per row:", each)
    rate("hash-chained, ledger.record_passage:", service)
    print(
        f"{'hash-chained, one at a time (commit each):':43s} {args.sequential / sequential:10.0f} rows/s"
        f"  ({1000 * sequential / args.sequential:.2f} ms per passage)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--sequential", type=int, default=1_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of raw and bulk; the best counts")
    parser.add_argument("--db-url", help="PostgreSQL URL, e.g. postgres://postgres@127.0.0.1:5432/bench")
    asyncio.run(main(parser.parse_args()))
