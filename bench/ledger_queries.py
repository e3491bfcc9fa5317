"""Queries on a generated ledger of 24 months of a 1,000-truck plant (1.5 million passages by default).

    .venv/bin/python bench/ledger_queries.py [--passages 1500000] [--dir /tmp/ecogate-bench-ledger] [--verify]

The ledger is generated once (a valid hash chain, written straight into SQLite) and kept in --dir for
the next run. Prints the time of a plate's history (goal < 50 ms), a month's passages counted by
emission stage (goal < 2 s) and a few other searches, each through the ledger's own query code.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.components.ledger.chain import RECORD_CHAIN, canonical_json, seal
from hub.components.ledger.const import GENESIS_HASH
from hub.components.ledger.query import async_count_by
from hub.core import Hub

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2024, 12, 1, tzinfo=TZ)
STAGES = "6" * 45 + "5" * 30 + "4" * 8 + "D" * 12 + "3" * 5


def generate(db: Path, passages: int, rng: random.Random) -> None:
    """Blocking: append `passages` chained passages (and a few follow-ups) in time order."""
    trucks = [
        ("冀" + rng.choice("ABCDEFGHJ") + f"{i:05d}", rng.choice(STAGES), rng.choice("BBBBBEC"))
        for i in range(1000)
    ]
    span = 730 * 86400
    conn = sqlite3.connect(db)
    columns = (*RECORD_CHAIN.columns, "hash")
    insert = f"INSERT INTO ledger_record ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    prev, seq, batch = GENESIS_HASH, 0, []
    started = time.perf_counter()
    for n in range(passages):
        moment = START + timedelta(seconds=n * span // passages)
        plate, stage, fuel = rng.choice(trucks)
        seq += 1
        row = {
            "kind": "passage", "passage_id": str(uuid.UUID(int=rng.getrandbits(128))),
            "recorded_ts": int(moment.timestamp()), "recorded_at": moment.isoformat(),
            "gate": rng.choice(("east_gate", "west_gate")), "lane": rng.choice(("in", "out")),
            "direction": "in" if n % 2 else "out", "plate": plate, "colour": "yellow",
            "vehicle_class": "transport",
            "emission_stage": stage, "fuel": fuel, "fleet": "唐山顺达物流有限公司",
            "decision": "deny" if stage in "34" and rng.random() < 0.3 else "allow",
            "reason_code": "allowed",
            "data": canonical_json({"reason_text": "准予通行",
                                    "vehicle": {"emission_stage": stage, "fuel": fuel}}),
        }  # fmt: skip
        values = seal(RECORD_CHAIN, row, seq, prev)
        prev = values[-1]
        batch.append(values)
        if rng.random() < 0.02:  # a release or a weight now and then
            seq += 1
            kind = rng.choice(("release", "weight"))
            follow = {
                "kind": kind, "passage_id": row["passage_id"], "ref_seq": seq - 1,
                "recorded_ts": row["recorded_ts"],
                "recorded_at": row["recorded_at"], "gate": row["gate"], "lane": row["lane"],
                "direction": row["direction"],
                "data": canonical_json({"reason": "特批"} if kind == "release" else {"weight_kg": 40000}),
            }  # fmt: skip
            values = seal(RECORD_CHAIN, follow, seq, prev)
            prev = values[-1]
            batch.append(values)
        if len(batch) >= 50_000:
            with conn:
                conn.executemany(insert, batch)
            batch.clear()
            print(f"  {n + 1} passages, {time.perf_counter() - started:.0f} s", flush=True)
    with conn:
        conn.executemany(insert, batch)
        conn.execute("ANALYZE")
    conn.close()
    (db.parent / "ledger_head_record.json").write_text(
        f'{{"seq": {seq}, "hash": "{prev}"}}', encoding="utf-8"
    )


async def timed(label: str, goal: str, runs: list) -> None:
    times = []
    result = None
    for run in runs:
        started = time.perf_counter()
        result = await run()
        times.append(time.perf_counter() - started)
    median, worst = statistics.median(times) * 1000, max(times) * 1000
    print(f"{label:<52} median {median:8.1f} ms  max {worst:8.1f} ms  {goal}")
    return result


async def main(args: argparse.Namespace) -> None:
    work = Path(args.dir)
    (work / "data").mkdir(parents=True, exist_ok=True)
    (work / "configuration.yaml").write_text("hub:\n  name: bench\nledger:\n", encoding="utf-8")
    hub = Hub(work)
    await hub.async_start()
    _, rows = await hub.db.connection.execute_query(
        "SELECT count(*) FROM ledger_record WHERE kind = 'passage'"
    )
    have = int(rows[0][0])
    if have != args.passages:
        await hub.async_stop()
        print(f"generating {args.passages} passages in {work} (once; kept for later runs)", flush=True)
        db = work / "data" / "ecogate.db"
        sqlite3.connect(db).execute("DELETE FROM ledger_record").connection.commit()
        started = time.perf_counter()
        generate(db, args.passages, random.Random(2026))
        print(f"generated in {time.perf_counter() - started:.0f} s", flush=True)
        hub = Hub(work)
        await hub.async_start()
    _, rows = await hub.db.connection.execute_query("SELECT count(*), max(seq) FROM ledger_record")
    print(f"ledger: {rows[0][0]} rows, head seq {rows[0][1]}")
    rng = random.Random(7)
    _, plates = await hub.db.connection.execute_query(
        "SELECT DISTINCT plate FROM ledger_record WHERE seq < 5000"
    )
    sample = rng.sample([p[0] for p in plates], 20)

    def query(**filters):
        return lambda: hub.services.async_call("ledger", "query", filters)

    result = await timed("plate history (exact plate, newest 50, with count)", "goal < 50 ms",
                         [query(plate=p, page_size=50) for p in sample])  # fmt: skip
    print(f"  e.g. {sample[-1]}: {result['total']} passages")
    month = datetime(2026, 3, 1, tzinfo=TZ), datetime(2026, 4, 1, tzinfo=TZ)
    span = int(month[0].timestamp()), int(month[1].timestamp())

    def count():
        return async_count_by(hub.db.connection, "sqlite", "emission_stage", *span)

    counts = await timed("a month's passages counted by emission stage", "goal < 2 s", [count] * 5)
    print(f"  March 2026: {sum(counts.values())} passages, {dict(sorted(counts.items()))}")
    await timed("a month at one gate, denied, page 1", "", [query(start=month[0], end=month[1],
                gate="east_gate", decision="deny")] * 5)  # fmt: skip
    await timed("released passages of a month", "", [query(start=month[0], end=month[1], released=True)] * 5)
    await timed("part of a plate (scans the ledger)", "", [query(plate_contains=p[2:6]) for p in sample[:3]])
    if args.verify:
        started = time.perf_counter()
        verdict = await hub.services.async_call("ledger", "verify", {"evidence": False})
        took = time.perf_counter() - started
        print(f"verify: ok={verdict['ok']} {verdict['chains'][0]['rows']} rows in {took:.1f} s")
    await hub.async_stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--passages", type=int, default=1_500_000)
    parser.add_argument("--dir", default="/tmp/ecogate-bench-ledger")
    parser.add_argument("--verify", action="store_true", help="also time a full verify of the chain")
    asyncio.run(main(parser.parse_args()))
