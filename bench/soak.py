"""Soak: the demo plant at ten times a big plant's rate, with faults and a large register import injected.

    .venv/bin/python bench/soak.py [--minutes 30] [--rate 60] [--import-rows 100000] [--tmpfs-mib 0]

A big steel plant passes about 3,000 vehicles a day at its gates, some 6 a minute at the busy hours; the
default rate is ten times that. The whole demo plant runs in this process (simulated cameras, barrier
PLCs, weighbridges, the traffic, both platform simulators); the faults come one after the other, evenly
spread over the run:
  PLC mute (east entry barrier stops answering), weighbridge offline, platform network flapping (down and
  up every few seconds), database locked by another process, wall clock stepped forward and back (NTP), a
  register import of --import-rows rows, and with --tmpfs-mib (as root) a full disk.
Then the traffic stops and the uplink is given time to catch up.

Prints: vehicles announced, plate reads, passages recorded, lost (announced vehicles with a plate that got
no passage on their lane), duplicated (a read recorded twice), ledger rows never announced on the bus,
announced but not stored, or announced twice, `ledger verify`, upload delivered after recovery per
platform, RSS at start and end, and plate_read -> gate_decision latency p50/p99 with no fault and during
each fault.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.vehicles_register import records as register_records
from hub.core import Hub
from hub.core.clock import Clock
from hub.core.const import (
    EVENT_GATE_DECISION,
    EVENT_PASSAGE_RECORDED,
    EVENT_PLATE_READ,
    EVENT_VEHICLE_ARRIVED,
)
from hub.demo import render_configuration

LOCK_SECONDS = 5.0  # how long another process holds the database's write lock


class SteppedClock(Clock):
    """The wall clock plus an offset the soak steps, as NTP steps a badly set clock."""

    def __init__(self) -> None:
        super().__init__()
        self.offset = timedelta()

    def now(self) -> datetime:
        return super().now() + self.offset

    def utcnow(self) -> datetime:
        return super().utcnow() + self.offset


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def plant_config(config_dir: Path, rate: float, data_dir: Path) -> None:
    config = yaml.safe_load(render_configuration(rate, 2026))
    for door in ("ui", "opcua", "mqtt", "console"):  # the soak drives the spine, not the doors
        config.pop(door, None)
    config["hub"]["data_dir"] = str(data_dir)
    config["traffic"]["fleet_size"] = 2000  # enough vehicles outside the plant at this rate
    config_dir.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(config, allow_unicode=True)
    (config_dir / "configuration.yaml").write_text(text, encoding="utf-8")


class Tally:
    """What the bus showed during the run."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.announced: Counter[tuple[str, str]] = Counter()  # vehicles with a plate, per lane
        self.reads = 0
        self.read_at: dict[str, tuple[float, str]] = {}  # when each read came, under which fault
        self.latency: dict[str, list[float]] = {"no fault": []}
        self.phase = "no fault"  # the fault under way: a read's latency is filed under it
        self.passages: Counter[tuple[str, str]] = Counter()
        self.by_read: Counter[str] = Counter()
        self.seqs: Counter[int] = Counter()  # every row announced, by its seq
        bus = hub.bus
        bus.async_listen(EVENT_VEHICLE_ARRIVED, self._arrived)
        bus.async_listen(EVENT_PLATE_READ, self._read)
        bus.async_listen(EVENT_GATE_DECISION, self._decided)
        bus.async_listen(EVENT_PASSAGE_RECORDED, self._recorded)

    def _arrived(self, event: Any) -> None:
        if event.data["vehicle"].get("plate"):
            self.announced[(event.data["gate"], event.data["lane"])] += 1

    def _read(self, event: Any) -> None:
        self.reads += 1
        self.read_at[event.data["read_id"]] = (time.perf_counter(), self.phase)

    def _decided(self, event: Any) -> None:
        read = self.read_at.pop(event.data.get("read_id") or "", None)
        if read is not None:
            started, phase = read
            self.latency.setdefault(phase, []).append(time.perf_counter() - started)

    def _recorded(self, event: Any) -> None:
        self.seqs[int(event.data["seq"])] += 1
        if event.data.get("kind") == "passage":
            self.passages[(event.data["gate"], event.data["lane"])] += 1
            if event.data.get("read_id"):
                self.by_read[event.data["read_id"]] += 1


async def during(seconds: float, start: Callable[[], Any], stop: Callable[[], Any]) -> None:
    start()
    try:
        await asyncio.sleep(seconds)
    finally:
        stop()


async def flap_platforms(hub: Hub, seconds: float) -> None:
    sims = list(hub.data["uplink"].simulators.values())
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for sim in sims:
            await sim.async_go_down()
        await asyncio.sleep(3)
        for sim in sims:
            await sim.async_come_back()
        await asyncio.sleep(2)


async def lock_database(database: Path) -> None:
    script = (
        "import sqlite3, sys, time\n"
        "conn = sqlite3.connect(sys.argv[1], timeout=10, isolation_level=None)\n"
        "conn.execute('BEGIN EXCLUSIVE')\n"
        f"time.sleep({LOCK_SECONDS})\n"
        "conn.execute('ROLLBACK')\n"
    )
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script, str(database))
    await proc.wait()


async def step_clock(clock: SteppedClock, seconds: float) -> None:
    clock.offset = timedelta(minutes=5)  # NTP steps a slow clock forward ...
    await asyncio.sleep(seconds / 2)
    clock.offset = timedelta(minutes=-5)  # ... and a fast one back
    await asyncio.sleep(seconds / 2)
    clock.offset = timedelta()


async def import_register(hub: Hub, rows: int) -> float:
    data = register_records(rows, seed=random.randrange(1 << 30))
    started = time.perf_counter()
    await hub.services.async_call("vehicles", "import", {"class": "transport", "records": data})
    return time.perf_counter() - started


async def fill_disk(data_dir: Path, seconds: float) -> None:
    ballast = data_dir / "ballast.bin"
    block = b"\0" * (1 << 20)
    with contextlib.suppress(OSError), ballast.open("wb") as out:
        while True:
            out.write(block)
            out.flush()
    await asyncio.sleep(seconds)
    ballast.unlink(missing_ok=True)


def percentiles(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    ordered = sorted(samples)
    p99 = ordered[math.ceil(len(ordered) * 0.99) - 1]
    return (
        f"p50 {statistics.median(ordered) * 1e3:6.1f} ms   p99 {p99 * 1e3:6.1f} ms   "
        f"max {ordered[-1] * 1e3:7.1f} ms   ({len(ordered)} decisions)"
    )


async def soak(args: argparse.Namespace, root: Path, data_dir: Path) -> None:
    plant_config(root / "config", args.rate, data_dir)
    clock = SteppedClock()
    hub = Hub(root / "config", clock=clock)
    await hub.async_start()
    tally = Tally(hub)
    rss_start = rss_mib()
    faults: list[tuple[str, Callable[[float], Awaitable[Any]]]] = [
        ("PLC mute", lambda s: during(
            s, lambda: hub.data["barrier"].simulators["east_gate_in"].set_answering(False),
            lambda: hub.data["barrier"].simulators["east_gate_in"].set_answering(True))),
        ("weighbridge offline", lambda s: during(
            s, lambda: hub.data["weighbridge"].simulators["east_gate_out"].set_answering(False),
            lambda: hub.data["weighbridge"].simulators["east_gate_out"].set_answering(True))),
        ("platform flapping", lambda s: flap_platforms(hub, s)),
        ("database locked", lambda s: lock_database(data_dir / "ecogate.db")),
        ("clock stepped", lambda s: step_clock(clock, s)),
        ("register import", lambda s: import_register(hub, args.import_rows)),
    ]  # fmt: skip
    if args.tmpfs_mib:
        faults.append(("disk full", lambda s: fill_disk(data_dir, min(s, 30))))
    slot = args.minutes * 60 / len(faults)
    began = time.monotonic()
    print(f"soak: {args.minutes} min at {args.rate:g} passages/min; a fault every {slot:.0f} s", flush=True)
    for n, (name, fault) in enumerate(faults):
        await asyncio.sleep(max(0.0, began + (n + 0.3) * slot - time.monotonic()))
        t0 = time.monotonic()
        tally.phase = name
        outcome = await fault(min(60.0, slot / 2))
        tally.phase = "no fault"
        extra = f" ({outcome:.1f} s)" if isinstance(outcome, float) else ""
        took, at = time.monotonic() - t0, time.monotonic() - began
        print(f"  {at:7.0f} s  {name}: done after {took:.1f} s{extra}; RSS {rss_mib():.0f} MiB")
    await asyncio.sleep(max(0.0, began + args.minutes * 60 - time.monotonic()))

    hub.data["traffic"].paused = True
    await asyncio.sleep(15)  # the last vehicles' reads are decided and recorded
    links = hub.data["uplink"].links
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and any(  # noqa: ASYNC110 - the figures announce no change
        link.figures()["pending_total"] for link in links.values()
    ):
        await asyncio.sleep(1)
    await hub.async_block_till_done()

    _, rows = await hub.db.connection.execute_query("SELECT seq FROM ledger_record")
    stored = {int(row["seq"]) for row in rows}
    in_db = len(stored)
    unannounced = sorted(stored - set(tally.seqs))
    phantom = sorted(set(tally.seqs) - stored)
    twice = sorted(seq for seq, n in tally.seqs.items() if n > 1)
    verdict = await hub.services.async_call("ledger", "verify", {})
    lost = sum(max(0, n - tally.passages[lane]) for lane, n in tally.announced.items())
    duplicated = sum(n - 1 for n in tally.by_read.values() if n > 1)
    print()
    print(f"vehicles announced (with a plate)  {sum(tally.announced.values())}")
    print(f"plate reads                        {tally.reads}")
    print(f"passages recorded                  {sum(tally.passages.values())}   (ledger rows: {in_db})")
    print(f"lost                               {lost}")
    print(f"duplicated                         {duplicated}")
    print(f"rows never announced on the bus    {len(unannounced)} {unannounced[:10]}")
    print(f"rows announced but not stored      {len(phantom)} {phantom[:10]}")
    print(f"rows announced twice               {len(twice)} {twice[:10]}")
    print(f"ledger verify                      {'ok' if verdict['ok'] else verdict}")
    for name, link in links.items():
        figures = link.figures()
        due, done = figures.get("due", 0), figures.get("acknowledged", 0)
        share = f"{100 * done / due:.1f} %" if due else "nothing due"
        print(f"upload {name:<10} delivered       {done}/{due} = {share}, pending {figures['pending_total']}")
    print(f"RSS                                {rss_start:.0f} MiB at start, {rss_mib():.0f} MiB at end")
    for label, samples in tally.latency.items():
        print(f"plate_read -> decision, {label:<20} {percentiles(samples)}")
    await hub.async_stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--rate", type=float, default=60, help="passages a minute over all lanes")
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--tmpfs-mib", type=int, default=0, help="data on a tmpfs this big, filled once")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data_dir = root / "data"
        data_dir.mkdir()
        mounted = False
        if args.tmpfs_mib:
            if os.geteuid() != 0:
                sys.exit("--tmpfs-mib needs root (it mounts a tmpfs for the data directory)")
            subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={args.tmpfs_mib}m", "tmpfs", str(data_dir)],
                           check=True)  # fmt: skip
            mounted = True
        try:
            asyncio.run(soak(args, root, data_dir))
        finally:
            if mounted:
                subprocess.run(["umount", str(data_dir)], check=False)


if __name__ == "__main__":
    main()
