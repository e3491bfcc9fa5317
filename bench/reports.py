"""Compliance reports on a generated ledger of 24 months of a 1,000-truck plant (1.5 million passages).

    .venv/bin/python bench/reports.py [--passages 1500000] [--dir /tmp/ecogate-bench-reports] [--pg URL]

The ledger is generated once (trips: an entry and an exit with a weight each, a cargo supplement on a
quarter of them, a valid hash chain, written straight into SQLite by a child process) and kept in --dir
for the next run. Then, through the `reports.*` services of a hub on that database, it prints the time
and the peak RSS (sampled every 20 ms) of: a month's passages exported to .xlsx (goal < 30 s under
300 MB), the monthly statistics report (goal < 2 s), the clean-transport ratio of a month and the
evidence pack of a quarter, `ledger verify` included (goal < 2 min).
"""

from __future__ import annotations

import argparse
import asyncio
import heapq
import multiprocessing
import os
import random
import sqlite3
import sys
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.components.ledger.chain import RECORD_CHAIN, canonical_json, seal
from hub.components.ledger.const import GENESIS_HASH
from hub.core import Context, Hub

TZ = ZoneInfo("Asia/Shanghai")
START = datetime(2024, 12, 1, tzinfo=TZ)
DAYS = 730
STAGES = "6" * 45 + "5" * 30 + "4" * 8 + "D" * 12 + "3" * 5
CONFIG = "hub:\n  name: 基准测试钢厂\n{db}ledger:\nreports:\n  schedule_enabled: false\n"


def _row(kind: str, moment: datetime, **fields: Any) -> dict[str, Any]:
    row = dict.fromkeys(RECORD_CHAIN.columns)
    row.update(kind=kind, recorded_ts=int(moment.timestamp()), recorded_at=moment.isoformat(), **fields)
    return row


def generate(db: Path, passages: int, seed: int) -> None:
    """Blocking, in a child process: `passages` chained passages with their weights and cargo."""
    rng = random.Random(seed)
    fleets = [f"运输公司{n:02d}" for n in range(20)]
    trucks = [
        (
            "冀" + rng.choice("ABCDEFGHJ") + f"{i:05d}",
            rng.choice(STAGES),
            rng.choice("BBBBBEC"),
            rng.choice(fleets),
        )
        for i in range(1000)
    ]
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA synchronous=OFF")
    columns = (*RECORD_CHAIN.columns, "hash")
    insert = f"INSERT INTO ledger_record ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
    prev, seq, batch, made = GENESIS_HASH, 0, [], 0
    events: list[tuple[float, int, str, tuple[Any, ...]]] = []
    step = DAYS * 86400 / passages * 2  # one entry every `step` seconds; its exit comes later
    counter = 0
    started = time.perf_counter()

    def add(row: dict[str, Any]) -> None:
        nonlocal seq, prev
        seq += 1
        sealed = seal(RECORD_CHAIN, row, seq, prev)
        prev = row["hash"]
        batch.append(sealed)

    def passage(
        moment: datetime, truck: tuple[str, str, str, str], direction: str, deny: bool
    ) -> dict[str, Any]:
        plate, stage, fuel, fleet = truck
        vehicle = {
            "emission_stage": stage,
            "fuel": fuel,
            "fleet": fleet,
            "registered": True,
            "vehicle_type": "重型半挂牵引车",
        }
        data = {
            "alert_level": "normal",
            "reason_text": "禁止入厂" if deny else "准予通行",
            "vehicle": vehicle,
        }
        if deny:
            data["rule"] = "b_diesel_stage4"
        row = _row(
            "passage",
            moment,
            passage_id=str(uuid.UUID(int=rng.getrandbits(128))),
            gate="east_gate",
            lane=direction,
            direction=direction,
            plate=plate,
            colour="yellow_green" if stage == "D" else "yellow",
            vehicle_class="transport",
            emission_stage=stage,
            fuel=fuel,
            fleet=fleet,
            decision="deny" if deny else "allow",
            reason_code="forbidden" if deny else "allowed",
            data=canonical_json(data),
        )
        add(row)
        return row

    def followup(moment: datetime, of: dict[str, Any], kind: str, data: dict[str, Any]) -> None:
        add(
            _row(
                kind,
                moment,
                passage_id=of["passage_id"],
                ref_seq=of["seq"],
                gate=of["gate"],
                lane=of["lane"],
                direction=of["direction"],
                data=canonical_json(data),
            )
        )

    t = 0.0
    while made < passages:
        if events and events[0][0] <= t:
            at, _, _, (truck, loaded_in) = heapq.heappop(events)
            moment = START + timedelta(seconds=int(at))
            row = passage(moment, truck, "out", False)
            followup(
                moment + timedelta(seconds=40), row, "weight", {"weight_kg": 15_000 if loaded_in else 44_000}
            )
            if rng.random() < 0.25:
                followup(
                    moment + timedelta(seconds=300),
                    row,
                    "cargo",
                    {"cargo": rng.choice(("钢材", "焦炭", "铁矿石")), "quantity": 29.5, "unit": "t"},
                )
            made += 1
        else:
            truck = rng.choice(trucks)
            moment = START + timedelta(seconds=int(t))
            deny = truck[1] in "34" and truck[2] == "B" and rng.random() < 0.5
            row = passage(moment, truck, "in", deny)
            made += 1
            if not deny:
                loaded_in = rng.random() < 0.5
                followup(
                    moment + timedelta(seconds=40),
                    row,
                    "weight",
                    {"weight_kg": 45_000 if loaded_in else 15_000},
                )
                counter += 1
                heapq.heappush(events, (t + rng.uniform(1800, 14400), counter, "exit", (truck, loaded_in)))
            t += step
        if len(batch) >= 20_000:
            conn.executemany(insert, batch)
            conn.commit()
            batch.clear()
            print(
                f"\r  {made:,} passages, {seq:,} rows, {time.perf_counter() - started:.0f} s",
                end="",
                flush=True,
            )
    conn.executemany(insert, batch)
    conn.commit()
    conn.close()
    print(f"\r  {made:,} passages, {seq:,} rows in {time.perf_counter() - started:.0f} s")


class Rss:
    """Peak resident memory of this process while a step runs (sampled from /proc every 20 ms)."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()

    @staticmethod
    def now() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        return 0

    def __enter__(self) -> Rss:
        self.peak = self.now()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, self.now())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.now())


async def timed(name: str, goal: str, job: Callable[[], Awaitable[Any]]) -> Any:
    with Rss() as rss:
        started, cpu = time.perf_counter(), time.process_time()
        result = await job()
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
    # CPU seconds of this process besides the wall time: on a shared machine the wall time tells the load.
    print(f"{name:<46} {took:7.2f} s ({cpu:6.2f} s CPU)  peak RSS {rss.peak / 2**20:4.0f} MB  (goal {goal})")
    return result


def prepare(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "configuration.yaml").write_text(CONFIG.format(db=""), encoding="utf-8")
    return folder / "data" / "ecogate.db"


async def generate_once(folder: Path, passages: int) -> Path:
    """The generated ledger's data directory under `folder`, made the first time (bench/hmi_pages.py too)."""
    db = prepare(folder)
    if not db.exists():
        hub = Hub(folder)
        await hub.async_start()  # creates the tables
        await hub.async_stop()
        for stale in (folder / "data").glob("ledger_head_*.json"):
            stale.unlink()  # the head files would name the empty chain's head
        print(f"generating {passages:,} passages into {db} ...")
        child = multiprocessing.Process(target=generate, args=(db, passages, 7))
        child.start()
        child.join()
        if child.exitcode:
            raise SystemExit("generation failed")
    return db.parent


async def main(args: argparse.Namespace) -> None:
    folder = Path(args.dir)
    await generate_once(folder, args.passages)
    hub = Hub(folder)
    await hub.async_start()
    call = hub.services.async_call
    try:
        assert hub.db is not None
        rows = await hub.db.connection.execute_query(
            "SELECT count(*), max(seq) FROM ledger_record WHERE kind = 'passage'"
        )
        base = Rss.now() / 2**20
        print(f"ledger: {rows[1][0][0]:,} passages, {rows[1][0][1]:,} rows; SQLite; base RSS {base:.0f} MB; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")  # fmt: skip
        month = {"period": "month", "date": "2025-11-15"}
        info = await timed(
            "a month's passages to .xlsx (streamed)",
            "< 30 s, < 300 MB",
            lambda: call("reports", "export", {"kind": "passages", **month}),
        )
        print(f"  {info['rows']:,} rows, {info['size'] / 2**20:.1f} MiB")
        stats = await timed(
            "monthly statistics (reports.statistics)", "< 2 s", lambda: call("reports", "statistics", month)
        )
        print(
            f"  {stats['totals']['in']:,} entries, {stats['trips']['count']:,} trips, "
            f"{stats['tonnage']['in']:,.0f} t in"
        )
        await timed("monthly statistics again (database pages cached)", "< 2 s",
                    lambda: call("reports", "statistics", month))  # fmt: skip
        await timed("daily statistics", "-", lambda: call("reports", "statistics", {"date": "2025-11-15"}))
        clean = await timed(
            "clean-transport ratio of a month", "-", lambda: call("reports", "clean_transport", month)
        )
        print(f"  road {clean['road_total']:,.0f} t")
        await timed(
            "monthly statistics workbook (.xlsx)",
            "-",
            lambda: call("reports", "export", {"kind": "statistics", **month}),
        )
        await timed(
            "evidence pack of a quarter (with ledger verify)",
            "< 120 s",
            lambda: call(
                "reports",
                "export",
                {"kind": "evidence_pack", "period": "quarter", "date": "2025-11-15"},
                Context(),
            ),
        )
    finally:
        await hub.async_stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=1_500_000)
    parser.add_argument("--dir", default="/tmp/ecogate-bench-reports")
    asyncio.run(main(parser.parse_args()))
