"""How long the uplink holds the event loop (which the gate's decisions share) while it catches up.

    .venv/bin/python bench/uplink_loop_stall.py [--register 20000] [--backlog 300] [--photo-kb 20 150]

Two phases against the platform simulator (in a process of its own, so that only the hub's work is on
the loop) over HTTP on loopback, each timed from the moment the work is there until the platform holds
all of it, with a 5 ms ticker on the hub's loop measuring how late it wakes (a late tick is time a plate
read would have waited for its decision):
1. the register: `--register` transport records imported at once (they share one timestamp), then
   sent to the platform in batches of 20 (the city platform's size);
2. the ledger: `--backlog` passages with photos recorded while the platform is down, then sent inline.
Prints the delivery time, the ticker's p99 and worst lateness per phase, and the register rows the
uplink read (uplink.status register_reads, when the hub has it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from hub.core import Hub, ManualClock
from hub.util.vin import vin_check_digit

TZ = ZoneInfo("Asia/Shanghai")
SIMULATOR = """
import asyncio, sys
sys.path.insert(0, {root!r})
from hub.components.uplink.profile import load_profile
from hub.components.uplink.simulator import PlatformSimulator

async def main():
    sim = PlatformSimulator(load_profile("default"), clock=lambda: {now})
    print(await sim.async_start(), flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


class Platform:
    """The simulator in its own process, watched and steered through its /sim API."""

    def __init__(self, now: float) -> None:
        root = str(Path(__file__).resolve().parent.parent)
        code = SIMULATOR.format(root=root, now=now)
        self.process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        self.url = f"http://127.0.0.1:{int(self.process.stdout.readline())}"
        self.session = aiohttp.ClientSession()

    async def received(self, message: str) -> int:
        async with self.session.get(self.url + "/sim/state") as answer:
            return int((await answer.json())["received"].get(message, 0))

    async def wait_for(self, message: str, count: int) -> None:
        while await self.received(message) < count:  # noqa: ASYNC110 - another process's figure
            await asyncio.sleep(0.05)

    async def go_down(self, seconds: float) -> None:
        async with self.session.post(self.url + "/sim/faults", json={"down_seconds": seconds}) as answer:
            await answer.read()
        await asyncio.sleep(0.2)

    async def close(self) -> None:
        await self.session.close()
        self.process.terminate()
        self.process.wait()


class Ticker:
    """Wakes every 5 ms and keeps how late each wake-up was."""

    def __init__(self) -> None:
        self.late: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due = loop.time() + 0.005
            await asyncio.sleep(0.005)
            self.late.append((loop.time() - due) * 1000)

    def start(self) -> None:
        self.late.clear()
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> str:
        assert self._task is not None
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        late = sorted(self.late) or [0.0]
        return f"loop late p99 {late[int(0.99 * (len(late) - 1))]:.1f} ms, worst {late[-1]:.1f} ms"


def truck(n: int) -> dict:
    body = f"LFWADRJF0J{n:07d}"
    return {
        "plate": f"冀B{n:05d}", "colour": "yellow", "vehicle_type": "重型半挂牵引车",
        "vin": body[:8] + vin_check_digit(body) + body[9:], "registration_date": "2021-05-06",
        "fuel": "B", "emission_stage": "6", "fleet": "唐山顺达物流有限公司", "network_status": True,
    }  # fmt: skip


def passage(n: int, photo_kb: tuple[int, int]) -> dict:
    return {
        "passage_id": str(uuid.uuid4()), "read_id": f"R{n}", "gate": "east_gate", "lane": "in",
        "direction": "in", "plate": f"冀A{n:05d}", "colour": "yellow", "vehicle_class": "transport",
        "vehicle": {"emission_stage": "6", "fuel": "B", "vehicle_type": "重型半挂牵引车", "registered": True},
        "decision": "allow", "reason_code": "allowed", "reason_text": "准予入厂", "alert_level": "normal",
        "confidence": 0.97, "needs_review": False,
        "images": {"plate": b"\xff\xd8" + os.urandom(photo_kb[0] * 1024),
                   "scene": b"\xff\xd8" + os.urandom(photo_kb[1] * 1024)},
    }  # fmt: skip


async def main(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="uplink-stall-"))
    clock = ManualClock(datetime(2026, 11, 24, 8, 0, tzinfo=TZ))
    sim = Platform(clock.now().timestamp())
    (work / "configuration.yaml").write_text(
        textwrap.dedent(f"""\
            hub: {{name: 上传基准}}
            ledger: {{}}
            vehicles: {{max_import_rows: {max(args.register, 1000)}}}
            uplink:
              plant: {{code: '91130200MA0BENCH01', name: 基准钢厂, region: '130200'}}
              platforms:
                - name: city
                  url: {sim.url}
                  account: demo
                  key: demo-key
                  batch_size: 20
                  retry: {{initial_seconds: 0.2, max_seconds: 1.0, request_timeout: 30}}
        """),
        encoding="utf-8",
    )
    hub = Hub(work, clock=clock)
    await hub.async_start()
    assert {"uplink", "vehicles"} <= set(hub.loaded), hub.setup_errors
    ticker = Ticker()
    try:
        started = time.perf_counter()
        await hub.services.async_call(
            "vehicles", "import", {"class": "transport", "records": [truck(n) for n in range(args.register)]}
        )
        print(f"Register: {args.register} records imported in {time.perf_counter() - started:.1f} s")
        ticker.start()
        started = time.perf_counter()
        await sim.wait_for("register_transport", args.register)
        stall = await ticker.stop()
        print(f"  sent to the platform in {time.perf_counter() - started:.1f} s; {stall}")
        answer = await hub.services.async_call("uplink", "status", {"platform": "city"})
        reads = answer["platforms"][0].get("register_reads")
        print(f"  register rows read by the uplink: {reads or 'not reported (an older uplink)'}")

        down = 8.0
        await sim.go_down(down)
        started = time.perf_counter()
        for n in range(args.backlog):
            await hub.services.async_call("ledger", "record_passage", passage(n, tuple(args.photo_kb)))
        await asyncio.sleep(max(0.0, down - (time.perf_counter() - started)))
        ticker.start()
        started = time.perf_counter()
        await sim.wait_for("passage", args.backlog)
        stall = await ticker.stop()
        print(f"Ledger: {args.backlog} passages with {args.photo_kb[0]}+{args.photo_kb[1]} KB photos sent in "
              f"{time.perf_counter() - started:.1f} s after the platform's return; {stall}")  # fmt: skip
    finally:
        await hub.async_stop()
        await sim.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--register", type=int, default=20_000)
    parser.add_argument("--backlog", type=int, default=300)
    parser.add_argument("--photo-kb", type=int, nargs=2, default=[20, 150], metavar=("PLATE", "SCENE"))
    asyncio.run(main(parser.parse_args()))
