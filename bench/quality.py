"""The data-quality run over a day and over a month of a large ledger (24 months of a 1,000-truck plant:
1.5 million passages by default, with their weights, cargo and lifecycle rows).

    .venv/bin/python bench/quality.py [--passages 1500000] [--dir /tmp/ecogate-bench-quality]

The ledger is generated once by bulk SQL into a bench-only SQLite database in --dir (the rows are not
hash-chained: the rules do not read the hashes) and kept for the next run. A small share of the
passages carries planted defects (no scene photo, no weight, no cargo volume, a skewed camera clock,
an exit without its entry), and trucks are drawn at random for each trip, so a truck's trips overlap
now and then (more exits without entry than a real plant has): the run has plenty of findings to store.
Prints the time and peak RSS of `quality.run` for one day (goal < 1 s; also a day early in the ledger)
and for one month (goal < 20 s), each with every finding new.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import sqlite3
import sys
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.components.ledger.chain import RECORD_CHAIN
from hub.core import Hub

TZ = ZoneInfo("Asia/Shanghai")
FIRST_DAY = date(2024, 12, 1)
DAYS = 720
CONFIG = "hub:\n  name: bench\nledger:\nquality:\n  check_seconds: 3600\n"
COLUMNS = (*RECORD_CHAIN.columns, "hash")
INSERT = f"INSERT INTO ledger_record ({', '.join(COLUMNS)}) VALUES ({', '.join('?' for _ in COLUMNS)})"
DUMMY_HASH = "0" * 64


def _row(seq: int, kind: str, pid: str, ref: int | None, ts: int, at: str, lane: str, direction: str,
         plate: str, data: dict, **extra: object) -> tuple:  # fmt: skip
    values = dict.fromkeys(COLUMNS)
    values.update(
        seq=seq, kind=kind, passage_id=pid, ref_seq=ref, recorded_ts=ts, recorded_at=at, gate="east_gate",
        lane=lane, direction=direction, data=json.dumps(data, ensure_ascii=False, separators=(",", ":")),
        prev_hash=DUMMY_HASH, hash=DUMMY_HASH, **extra,
    )  # fmt: skip
    if kind == "passage":
        values.update(plate=plate, colour="yellow", vehicle_class="transport", emission_stage="6", fuel="B",
                      decision="allow", reason_code="allowed")  # fmt: skip
    return tuple(values[c] for c in COLUMNS)


def generate(db: Path, passages: int, rng: random.Random) -> int:
    """Blocking: `passages` passages (entries and exits of trips) with follow-ups, in time order."""
    trucks = [f"冀{rng.choice('ABCDEFGHJ')}{i:05d}" for i in range(1000)]
    trips_per_day = max(1, passages // DAYS // 2)
    conn = sqlite3.connect(db)
    seq, written, started = 0, 0, time.perf_counter()
    for index in range(DAYS):
        day = FIRST_DAY + timedelta(days=index)
        midnight = int(datetime.combine(day, datetime.min.time(), tzinfo=TZ).timestamp())
        events = []
        for _ in range(trips_per_day):
            entry = midnight + rng.randint(6 * 3600, 21 * 3600)
            plate = rng.choice(trucks)
            events.append((entry, plate, "in"))
            events.append((entry + rng.randint(40 * 60, 120 * 60), plate, "out"))
        events.sort()
        batch = []
        for ts, plate, direction in events:
            if direction == "in" and rng.random() < 0.0005:
                continue  # an entry the camera missed: its exit has none
            at = datetime.fromtimestamp(ts, TZ).isoformat()
            pid = str(uuid.UUID(int=rng.getrandbits(128)))
            seq += 1
            passage_seq = seq
            photos = {"plate": f"{rng.getrandbits(64):016x}" * 4}
            if rng.random() > 0.001:
                photos["scene"] = f"{rng.getrandbits(64):016x}" * 4
            skew = -240.0 if rng.random() < 0.0005 else 0.0
            data = {"vehicle": {"emission_stage": "6", "fuel": "B", "registered": True}, "clock_skew_s": skew,
                    "captured_at": at, "photos": photos}  # fmt: skip
            batch.append(_row(seq, "passage", pid, None, ts, at, direction, direction, plate, data,
                              photo_plate=photos["plate"], photo_scene=photos.get("scene")))  # fmt: skip
            if rng.random() > 0.001:
                seq += 1
                batch.append(_row(seq, "weight", pid, passage_seq, ts + 20, at, direction, direction, plate,
                                  {"weight_kg": 45_000 if direction == "in" else 15_000}))  # fmt: skip
            if direction == "in":
                seq += 1
                quantity = None if rng.random() < 0.001 else 30.0
                batch.append(_row(seq, "cargo", pid, passage_seq, ts + 60, at, direction, direction, plate,
                                  {"cargo": "铁矿石", "quantity": quantity, "unit": "t"}))  # fmt: skip
            seq += 1
            batch.append(_row(seq, "lifecycle", pid, passage_seq, ts + 30, at, direction, direction, plate,
                              {"state": "closed"}, status="closed"))  # fmt: skip
            written += 1
        with conn:
            conn.executemany(INSERT, batch)
        if index % 60 == 59:
            print(f"  {written} passages, {time.perf_counter() - started:.0f} s", flush=True)
    with conn:
        conn.execute("ANALYZE")
    conn.close()
    (db.parent / "ledger_head_record.json").write_text(f'{{"seq": {seq}, "hash": "{DUMMY_HASH}"}}')
    return written


def _rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def _timed(hub: Hub, label: str, goal: str, data: dict) -> None:
    assert hub.db is not None
    await hub.db.connection.execute_query("DELETE FROM quality_finding")  # every finding new
    started = time.perf_counter()
    summary = await hub.services.async_call("quality", "run", data)
    took = time.perf_counter() - started
    print(
        f"{label:<28} {took:7.2f} s  ({goal})  passages {summary['passages']:>6}  "
        f"findings {summary['found']:>4}  read {summary['read_seconds']:.2f} s  peak RSS {_rss_mib():.0f} MiB"
    )
    found = {rule: v["found"] for rule, v in summary["rules"].items() if v["found"]}
    print(f"  {found}")


async def main(args: argparse.Namespace) -> None:
    work = Path(args.dir)
    (work / "data").mkdir(parents=True, exist_ok=True)
    (work / "configuration.yaml").write_text(CONFIG, encoding="utf-8")
    hub = Hub(work)
    await hub.async_start()
    assert hub.db is not None
    _, rows = await hub.db.connection.execute_query(
        "SELECT count(*) FROM ledger_record WHERE kind = 'passage'"
    )
    if abs(int(rows[0][0]) - args.passages) > args.passages // 100:
        await hub.async_stop()
        print(f"generating about {args.passages} passages in {work} (once; kept for later runs)", flush=True)
        db = work / "data" / "ecogate.db"
        sqlite3.connect(db).execute("DELETE FROM ledger_record").connection.commit()
        started = time.perf_counter()
        made = generate(db, args.passages, random.Random(2026))
        print(f"generated {made} passages in {time.perf_counter() - started:.0f} s", flush=True)
        hub = Hub(work)
        await hub.async_start()
    assert hub.db is not None
    _, rows = await hub.db.connection.execute_query("SELECT count(*), max(seq) FROM ledger_record")
    print(f"ledger: {rows[0][0]} rows, head seq {rows[0][1]}; RSS after start {_rss_mib():.0f} MiB")
    last = FIRST_DAY + timedelta(days=DAYS - 1)
    month_first = (last.replace(day=1) - timedelta(days=1)).replace(day=1)  # the last whole month
    month_last = last.replace(day=1) - timedelta(days=1)
    day = month_last - timedelta(days=3)
    old = FIRST_DAY + timedelta(days=40)  # early in the ledger: nothing may scan on to its head
    for _ in range(args.repeat):
        await _timed(hub, f"one day {day}", "goal < 1 s", {"date": day.isoformat()})
    await _timed(hub, f"one old day {old}", "goal < 1 s", {"date": old.isoformat()})
    for _ in range(args.repeat):
        await _timed(hub, f"one month {month_first:%Y-%m}", "goal < 20 s",
                     {"start": month_first.isoformat(), "end": month_last.isoformat()})  # fmt: skip
    await hub.async_stop()


def _seed_chain(work: Path, rows: int, start: datetime) -> None:
    """Blocking: `rows` passages with valid hashes over 31 days from `start`, straight into SQLite."""
    from hub.components.ledger.chain import canonical_json, seal
    from hub.components.ledger.const import GENESIS_HASH

    conn = sqlite3.connect(work / "data" / "ecogate.db")
    conn.execute("DELETE FROM ledger_record")
    prev, batch = GENESIS_HASH, []
    for seq in range(1, rows + 1):
        moment = start + timedelta(seconds=seq * 31 * 86400 // rows)
        row = {
            "kind": "passage", "passage_id": str(uuid.UUID(int=seq)), "recorded_ts": int(moment.timestamp()),
            "recorded_at": moment.isoformat(), "gate": "east_gate", "lane": "in", "direction": "in",
            "plate": f"冀B{seq % 1000:05d}", "colour": "yellow", "vehicle_class": "transport",
            "emission_stage": "6", "fuel": "B", "fleet": "唐山顺达物流有限公司", "decision": "allow",
            "reason_code": "allowed", "photo_plate": "a" * 64, "photo_scene": "b" * 64,
            "data": canonical_json({"reason_text": "国六柴油货车，准予入厂", "photos": {"plate": "a" * 64}}),
        }  # fmt: skip
        values = seal(RECORD_CHAIN, row, seq, prev)
        prev = values[-1]
        batch.append(values)
    with conn:
        conn.executemany(INSERT, batch)
    conn.close()
    (work / "data" / "ledger_head_record.json").write_text(f'{{"seq": {rows}, "hash": "{prev}"}}')


def _prepare(work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    (work / "configuration.yaml").write_text("hub:\n  name: bench\nledger:\n", encoding="utf-8")


async def verifier_bench(rows: int, work: Path) -> None:
    """A month-sized chain (valid hashes) exported with write_chain_export, then checked by
    verifier.html in Chromium from file://: the export's time and size, the browser's time."""
    from hub.components.reports.verifier import write_chain_export

    _prepare(work)
    hub = Hub(work, data_dir=work / "data")
    await hub.async_start()  # creates the tables
    await hub.async_stop()
    start = datetime(2026, 10, 1, tzinfo=TZ)
    _seed_chain(work, rows, start)
    hub = Hub(work, data_dir=work / "data")
    await hub.async_start()
    began = time.perf_counter()
    out = await write_chain_export(hub, start, start + timedelta(days=31), work / "export")
    took = time.perf_counter() - began
    size = os.path.getsize(out / "chain.json") / 2**20  # noqa: ASYNC240 - after the timed part
    print(f"chain export of {rows} rows: {took:.2f} s, chain.json {size:.0f} MiB")
    await hub.async_stop()
    if not os.path.exists("/usr/bin/chromium"):  # noqa: ASYNC240 - after the timed part
        print("no /usr/bin/chromium: browser verification not timed")
        return
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = await browser.new_page()
        await page.goto((out / "verifier.html").as_uri())
        began = time.perf_counter()
        await page.set_input_files("#file", str(out / "chain.json"))
        await page.wait_for_function(
            "['ok', 'failed', 'error'].includes(document.getElementById('result').dataset.status)",
            timeout=600_000,
        )
        took = time.perf_counter() - began
        status = await page.locator("#result").get_attribute("data-status")
        print(f"verifier.html in Chromium (file://): {status} in {took:.1f} s")
        await browser.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--passages", type=int, default=1_500_000)
    parser.add_argument("--dir", default="/tmp/ecogate-bench-quality")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--verifier-rows", type=int, default=0, help="time the chain export and verifier.html"
    )
    options = parser.parse_args()
    if options.verifier_rows:
        asyncio.run(verifier_bench(options.verifier_rows, Path(options.dir) / "verifier"))
    else:
        asyncio.run(main(options))
