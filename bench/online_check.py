"""Decision latency with online verification (联网查询): plate_read -> the first barrier call, while the
policy asks the platform about every vehicle (policy.online_check.mode: always, budget 800 ms).

    .venv/bin/python bench/online_check.py [--reads 200] [--slow-reads 30] [--register 2000]
                                           [--profile transport_control] [--budget-ms 800]

A hub as in policy_latency.py (real ledger on SQLite, real register, the simulated barrier PLC in a
process of its own, the policy at grade B) with the uplink speaking --profile to the platform simulator
(in this process, on loopback; the platform knows the registered vehicles and allows them). The
simulator answers the vehicle check after 0 ms, 50 ms and 2 s in turn; reads go one at a time, 85 %
registered plates.

Printed per delay: p50/p99/max from firing `plate_read` to the first barrier call (open for an allow,
the display for a deny), and how the checks ended (answered / timeout). With a 2 s platform every read
waits the budget and no more, and the local register decides.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from policy_latency import config, percentiles, plate_of, start_plc, vehicle

from hub.components.uplink.profile import load_profile
from hub.components.uplink.simulator import PlatformSimulator
from hub.core import Context, Hub, ServiceCall
from hub.core.const import EVENT_GATE_DECISION, EVENT_PLATE_READ


def uplink_section(url: str, profile: str) -> str:
    return (
        "uplink:\n  plant: {code: '91130200MA0BENCH01', name: bench}\n  platforms:\n"
        f"    - {{name: city, profile: {profile}, url: '{url}', account: bench, key: bench-key,"
        " codes: {gate: {east: G01}}}\n"
    )


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(7)
    directory = Path(tempfile.mkdtemp(prefix="online-check-bench-"))
    plc, plc_port = await start_plc()
    sim = PlatformSimulator(load_profile(args.profile), account="bench", key="bench-key")
    await sim.async_start()
    text = config(None, plc_port, False) + f"  online_check: {{mode: always, budget_ms: {args.budget_ms}}}\n"
    (directory / "configuration.yaml").write_text(text + uplink_section(sim.url, args.profile), "utf-8")
    hub = Hub(directory, data_dir=directory / "data")
    await hub.async_start()
    try:
        records = [vehicle(n, rng) for n in range(args.register)]
        await hub.services.async_call("vehicles", "import", {"class": "transport", "records": records})
        for item in records:
            sim.vehicles[item["plate"]] = {"verdict": "allow", "emission_stage": item["emission_stage"],
                                           "fuel": item["fuel"]}  # fmt: skip
        first_call: dict[str, float] = {}
        for service in ("open", "display"):
            original = hub.services.get("barrier", service)

            def timed(original: Any = original) -> Any:
                async def handler(call: ServiceCall) -> Any:
                    first_call.setdefault(call.context.id, time.perf_counter())
                    return await original.handler(call)

                return handler

            hub.services.async_register("barrier", service, timed(), original.schema, roles=original.roles)

        fired: dict[str, float] = {}
        done = asyncio.Event()
        lapses: list[float] = []
        verdicts: Counter[str] = Counter()

        def on_decision(event: Any) -> None:
            read_id = event.data["read_id"]
            t0 = fired.pop(read_id, None)
            if t0 is None:
                return
            if read_id in first_call:
                lapses.append(first_call.pop(read_id) - t0)
            verdicts[event.data["decision"]] += 1
            done.set()

        hub.bus.async_listen(EVENT_GATE_DECISION, on_decision)
        counter = 0
        for delay, reads in ((0.0, args.reads), (0.05, args.reads), (2.0, args.slow_reads)):
            sim.faults.check_delay_seconds = delay
            lapses.clear()
            verdicts.clear()
            asked = len(sim.checks)
            for _ in range(reads):
                counter += 1
                registered = rng.random() < 0.85
                plate = plate_of(rng.randrange(args.register) if registered else args.register + counter)
                read_id = f"BENCH{counter:08d}"
                data = {
                    "read_id": read_id, "gate": "east", "lane": "in", "direction": "in", "plate": plate,
                    "colour": "yellow", "confidence": 0.97, "needs_review": False, "source": "bench",
                    "captured_at": hub.now().isoformat(), "read_at": hub.now().isoformat(),
                }  # fmt: skip
                done.clear()
                fired[read_id] = time.perf_counter()
                # The camera lane's part (anpr/lane.py): the photo into hub.photos, the event names it.
                photo = {"plate": b"\xff\xd8\xff\xe0" + read_id.encode()}
                data["photos"] = await hub.photos.async_put(photo)
                hub.bus.async_fire(EVENT_PLATE_READ, data, Context(id=read_id))
                await asyncio.wait_for(done.wait(), 30)
                await asyncio.sleep(0.05)  # a real lane sees a truck every few seconds at most
            answered = len(sim.checks) - asked
            print(f"platform answers after {delay * 1000:6.0f} ms: plate_read -> first barrier call "
                  f"{percentiles(lapses)}; {dict(verdicts)}; checks asked {answered}")  # fmt: skip
    finally:
        await hub.async_stop()
        await sim.async_stop()
        plc.terminate()
        await plc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reads", type=int, default=200, help="reads per fast-platform run")
    parser.add_argument("--slow-reads", type=int, default=30, help="reads with the 2 s platform")
    parser.add_argument("--register", type=int, default=2000)
    parser.add_argument("--profile", default="transport_control")
    parser.add_argument("--budget-ms", type=int, default=800)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
