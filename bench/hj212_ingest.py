"""HJ 212 ingest: how many station packets a second the hub takes, and what a flood of bad ones costs.

    .venv/bin/python bench/hj212_ingest.py [--stations 20] [--packets 500] [--bad 20000]

1. Parse only: framing, CRC and the CP of a typical 11-factor real-time upload, in a loop.
2. A hub with --stations microstations; each connects over loopback and sends --packets real-time
   uploads asking for replies, waiting for each reply (as a station does). Printed: packets a second
   through the server into the sensors, and the mean round trip.
3. One peer sends --bad packets with a bad CRC in one go, while one good station keeps sending: the
   good station's round trip under the flood, and how many warning lines the flood produced.
Figures depend on the machine (two shared cores here).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.core import Hub
from hub.integrations.airquality import hj212

TZ = ZoneInfo("Asia/Shanghai")
VALUES = {
    "a34004": (38.2, "N"),
    "a34002": (71.5, "N"),
    "a34001": (120.0, "N"),
    "a21004": (31.0, "N"),
    "a21026": (8.0, "N"),
    "a21005": (0.62, "N"),
    "a05024": (88.0, "N"),
    "a01007": (2.1, "N"),
    "a01008": (225.0, "N"),
    "a01001": (12.6, "N"),
    "a01002": (45.0, "N"),
}


def packet(mn: str, at: datetime) -> bytes:
    return hj212.build_data(mn=mn, pw="123456", cn="2011", data_time=at, qn=hj212.qn_of(at), values=VALUES)


def parse_only(n: int) -> float:
    wire = packet("AQ0000", datetime(2026, 11, 24, 8, tzinfo=TZ))
    start = time.perf_counter()
    for _ in range(n):
        p = hj212.parse_segment(hj212.unframe(wire))
        hj212.parse_data(p.cp, TZ).values(p.cn)
    return n / (time.perf_counter() - start)


async def station(port: int, mn: str, count: int, rtts: list[float]) -> None:
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
    try:
        for i in range(count):
            at = datetime(2026, 11, 24, 8, tzinfo=TZ).replace(second=i % 60)
            start = time.perf_counter()
            writer.write(packet(mn, at))
            await writer.drain()
            await asyncio.wait_for(reader.readuntil(b"\r\n"), 10)
            rtts.append(time.perf_counter() - start)
    finally:
        writer.close()


async def flood(port: int, count: int) -> int:
    bad = packet("AQ0000", datetime(2026, 11, 24, 8, tzinfo=TZ))[:-6] + b"0000\r\n"
    _reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
    sent = 0
    try:
        while sent < count:
            writer.write(bad * 500)
            await writer.drain()
            sent += 500
    except ConnectionError:
        pass  # the hub cut it off
    writer.close()
    return sent


class Count(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.lines += 1


async def main(args: argparse.Namespace) -> None:
    print(f"parse only: {parse_only(20000):,.0f} packets/s")
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp)
        stations = "\n".join(
            f"    - {{key: s{i}, mn: AQ{i:04d}, password: '123456'}}" for i in range(args.stations)
        )
        (config / "configuration.yaml").write_text(f"hub: {{}}\nairquality:\n  stations:\n{stations}\n")
        hub = Hub(config, data_dir=config / "data")
        await hub.async_start()
        counter = Count()
        logging.getLogger("hub.integrations.airquality").addHandler(counter)
        try:
            port = hub.data["airquality"].hj212.port
            rtts: list[float] = []
            start = time.perf_counter()
            await asyncio.gather(
                *(station(port, f"AQ{i:04d}", args.packets, rtts) for i in range(args.stations))
            )
            wall = time.perf_counter() - start
            total = args.stations * args.packets
            print(
                f"{args.stations} stations x {args.packets} uploads with replies: "
                f"{total / wall:,.0f} packets/s, "
                f"mean round trip {1000 * sum(rtts) / len(rtts):.2f} ms"
            )
            quiet: list[float] = []
            await station(port, "AQ0000", 200, quiet)
            loud: list[float] = []
            start = time.perf_counter()
            sent, _ = await asyncio.gather(flood(port, args.bad), station(port, "AQ0000", 200, loud))
            print(
                f"{args.bad} bad-CRC packets from one peer ({sent} written before the hub cut it off): "
                f"good station round trip "
                f"{1000 * sum(quiet) / len(quiet):.2f} ms quiet, {1000 * sum(loud) / len(loud):.2f} ms "
                f"under the flood (max {1000 * max(loud):.1f} ms); {counter.lines} warning line(s)"
            )
            await hub.async_block_till_done()
        finally:
            await hub.async_stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stations", type=int, default=20)
    parser.add_argument("--packets", type=int, default=500)
    parser.add_argument("--bad", type=int, default=20000)
    asyncio.run(main(parser.parse_args()))
