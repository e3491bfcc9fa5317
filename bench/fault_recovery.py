"""How the gate lives through a locked database or a full disk, and how fast it is back.

    .venv/bin/python bench/fault_recovery.py [--fault lock|disk] [--seconds 15] [--rate 5]

A hub with the real ledger, register and policy (no barrier lane: passages are recorded, nothing
moves) on SQLite with its default busy timeout of 5 s. Reads of registered trucks come at --rate a
second for the whole run. For --seconds in the middle another program holds the database's write
lock (`lock`), or the data directory's disk is full (`disk`: an 8 MiB tmpfs filled to the last byte;
needs root). Printed: reads fired and how each ended (let in, refused and recorded later, recorded
as expired), how many rows the ledger holds for them (every read must have one), the log lines the
fault caused, and the seconds from the end of the fault until the alarm was off and until the last
refused read was recorded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.core import Context, Hub
from hub.core.const import EVENT_GATE_DECISION, EVENT_PLATE_READ, EVENT_STATE_CHANGED
from hub.core.context import ulid_now

LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], timeout=30, isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""
CONFIG = "hub: {name: bench}\nledger:\n  disk_check_seconds: 0.1\n  disk_reserve_mib: 2\n  disk_full_mib: 1\n"
CONFIG += "vehicles:\npolicy: {grade: B, merge_seconds: 0}\n"
ALARMS = ("binary_sensor.ledger_fault", "binary_sensor.data_disk_full")


class CountLines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def fire_reads(hub: Hub, rate: float, stop: asyncio.Event, fired: list[str]) -> None:
    n = 0
    while not stop.is_set():
        n += 1
        read_id = ulid_now()
        fired.append(read_id)
        data = {
            "read_id": read_id, "gate": "east", "lane": "in", "direction": "in", "plate": "冀B60006",
            "colour": "yellow", "confidence": 0.97, "captured_at": hub.now().isoformat(),
        }  # fmt: skip
        # The camera lane's part (anpr/lane.py): the photo into hub.photos, the event names it.
        data["photos"] = await hub.photos.async_put({"plate": b"\xff\xd8\xff\xe0" + read_id.encode()})
        hub.bus.async_fire(EVENT_PLATE_READ, data, Context(id=read_id))
        await asyncio.sleep(1 / rate)


async def recorded_reads(hub: Hub) -> set[str]:
    found: set[str] = set()
    after = 0
    while rows := await hub.services.async_call(
        "ledger", "read_records", {"after_seq": after, "limit": 1000}
    ):
        found.update(r["read_id"] for r in rows if r["kind"] == "passage")
        after = rows[-1]["seq"]
    return found


async def run(args: argparse.Namespace) -> None:
    directory = Path(tempfile.mkdtemp(prefix="fault-bench-"))
    data = directory / "data"
    if args.fault == "disk":
        if os.geteuid() != 0:
            raise SystemExit("--fault disk mounts a tmpfs: run as root")
        data.mkdir()
        await asyncio.to_thread(subprocess.run, ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(data)])
    (directory / "configuration.yaml").write_text(CONFIG, encoding="utf-8")
    hub = Hub(directory, data_dir=data)
    await hub.async_start()
    record = {
        "plate": "冀B60006", "colour": "yellow", "vehicle_type": "重型半挂牵引车", "vin": "LFWADRJF0J1000001",
        "registration_date": "2021-03-01", "fuel": "B", "emission_stage": "6", "network_status": True,
    }  # fmt: skip
    await hub.services.async_call("vehicles", "upsert", {"class": "transport", "record": record})
    outcomes: Counter[str] = Counter()
    hub.bus.async_listen(
        EVENT_GATE_DECISION,
        lambda e: outcomes.update([f"{e.data['decision']}/{e.data['reason_code']}"]),
    )
    alarm_off: dict[str, float] = {}
    hub.bus.async_listen(
        EVENT_STATE_CHANGED,
        lambda e: alarm_off.__setitem__(e.data["entity_id"], time.monotonic()),
        event_filter=lambda e: (
            e.data["entity_id"] in ALARMS
            and e.data["new_state"] is not None
            and e.data["new_state"].state == "off"
        ),
    )
    lines = CountLines()
    logging.getLogger().addHandler(lines)
    stop, fired = asyncio.Event(), []
    reads = asyncio.create_task(fire_reads(hub, args.rate, stop, fired))
    try:
        await asyncio.sleep(2)
        lines.count = 0
        if args.fault == "lock":
            locker = await asyncio.create_subprocess_exec(
                sys.executable, "-c", LOCKER, str(data / "ecogate.db"),
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            )  # fmt: skip
            assert locker.stdout is not None and locker.stdin is not None
            await locker.stdout.readline()
            await asyncio.sleep(args.seconds)
            locker.stdin.write(b"\n")
            await locker.stdin.drain()
            await locker.wait()
        else:
            filler = data / "filler"
            await asyncio.to_thread(_fill, filler)
            await asyncio.sleep(args.seconds)
            filler.unlink()
        ended = time.monotonic()
        during = set(fired)  # read up to the end of the fault
        async with asyncio.timeout(120):
            while not (await recorded_reads(hub)) >= during:  # noqa: ASYNC110 - rows, not an event
                await asyncio.sleep(0.05)
        drained = time.monotonic()
        await asyncio.sleep(2)  # and the gate goes on as ever
        stop.set()
        await reads
        await hub.async_block_till_done()
        recorded = await recorded_reads(hub)
        print(f"fault: {args.fault} for {args.seconds:.0f} s, reads at {args.rate}/s")
        print(f"reads fired: {len(fired)}; recorded in the ledger: {len(recorded & set(fired))}")
        print("decisions the guard saw:", ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
        print(f"log lines (warning and above) caused by the fault: {lines.count}")
        for alarm, at in sorted(alarm_off.items()):
            print(f"{alarm} off {at - ended:.2f} s after the fault ended")
        print(f"every read made during the fault recorded {drained - ended:.2f} s after it ended")
    finally:
        stop.set()
        await hub.async_stop()
        if args.fault == "disk":
            await asyncio.to_thread(subprocess.run, ["umount", "-l", str(data)])


def _fill(path: Path) -> None:
    with open(path, "wb", buffering=0) as out, contextlib.suppress(OSError):
        while out.write(b"\0" * 65536):
            pass
    with open(path, "ab", buffering=0) as out, contextlib.suppress(OSError):
        while out.write(b"\0" * 512):
            pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fault", choices=("lock", "disk"), default="lock")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--rate", type=float, default=5.0, help="reads a second")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
