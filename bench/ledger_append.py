"""Append rate of hash-chained ledger passages against a raw SQLite executemany of the same rows.

    .venv/bin/python bench/ledger_append.py [--rows 20000] [--sequential 1000] [--db-url postgres://...]

Prints rows/s for: the ledger's chain writer in bulk and fed by many concurrent callers, the full
`ledger.record_passage` service path, one-at-a-time awaited passages (a commit each), and the raw
baseline (sqlite3 executemany into a table of the same schema and indexes, one transaction).
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.components.ledger.chain import RECORD_CHAIN
from hub.components.ledger.rows import passage_row
from hub.components.ledger.schemas import RecordPassage
from hub.core import Hub

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

    # 1. The chain writer in bulk (a replay or an import): seal, insert, commit, fire the events.
    data = [RecordPassage.model_validate(passage_data(rng, n)) for n in range(args.rows)]
    rows = [passage_row(d, {}, hub.now(), None) for d in data]
    started = time.perf_counter()
    await ledger.records.async_append_many(rows)
    chained = time.perf_counter() - started
    # 1b. The chain writer with one call per row from many callers at once (group commit).
    more = [passage_row(d, {}, hub.now(), None) for d in data]
    started = time.perf_counter()
    await asyncio.gather(*(ledger.records.async_append(r) for r in more))
    each = time.perf_counter() - started

    # 2. The same through the service path (validation, audit event, passage_recorded event).
    bodies = [passage_data(rng, n) for n in range(args.rows)]
    started = time.perf_counter()
    await asyncio.gather(*(hub.services.async_call("ledger", "record_passage", b) for b in bodies))
    service = time.perf_counter() - started

    # 3. One at a time, each awaited: the latency a lone gate sees (one commit per passage).
    started = time.perf_counter()
    for n in range(args.sequential):
        await hub.services.async_call("ledger", "record_passage", passage_data(rng, n))
    sequential = time.perf_counter() - started

    verdict = await hub.services.async_call("ledger", "verify", {"evidence": False})
    await hub.async_stop()

    schema: list[str] = []
    if hub.db.dialect == "sqlite":
        with sqlite3.connect(work / "data" / "ecogate.db") as conn:
            schema = [
                s
                for (s,) in conn.execute("SELECT sql FROM sqlite_master WHERE tbl_name = 'ledger_record'")
                if s
            ]
    else:
        print("(the raw baseline is SQLite; the schema is taken from the model)")
    same = [tuple(r[c] for c in (*RECORD_CHAIN.columns, "hash")) for r in rows]
    raw = raw_baseline(work / "raw.db", same, schema, None)
    raw_batched = raw_baseline(work / "raw-batched.db", same, schema, 500)

    n = args.rows
    print(f"rows per run: {n}; chain verified: {verdict['ok']} ({verdict['chains'][0]['rows']} rows)")
    print(f"raw sqlite3 executemany, one transaction:   {n / raw:10.0f} rows/s")
    print(f"raw sqlite3 executemany, commit every 500:  {n / raw_batched:10.0f} rows/s")
    print(f"hash-chained, chain writer, bulk append:    {n / chained:10.0f} rows/s  "
          f"= {raw / chained:.2f} of raw (goal >= 0.5)")  # fmt: skip
    print(f"hash-chained, chain writer, a call per row: {n / each:10.0f} rows/s  = {raw / each:.2f} of raw")
    print(f"hash-chained, ledger.record_passage:        {n / service:10.0f} rows/s  "
          f"= {raw / service:.2f} of raw")  # fmt: skip
    print(f"hash-chained, one at a time (commit each):  {args.sequential / sequential:10.0f} rows/s  "
          f"({1000 * sequential / args.sequential:.2f} ms per passage)")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--sequential", type=int, default=1_000)
    parser.add_argument("--db-url", help="PostgreSQL URL, e.g. postgres://postgres@127.0.0.1:5432/bench")
    asyncio.run(main(parser.parse_args()))
