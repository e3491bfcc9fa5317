"""Uplink delivery throughput and the catch-up time of a 24-hour backlog, against the platform simulator
over HTTP on loopback.

    .venv/bin/python bench/uplink_throughput.py [--trucks 1000] [--trips 1.2] [--batch 50]
                                                [--photo-kb 20 150] [--no-photos] [--profile default]

The plant: `--trucks` trucks, each making `--trips` round trips a day on average, so passages per day =
trucks x trips x 2 (an entry and an exit): 2,400 for the defaults. Every passage gets a weight row (the
weighbridge) and every entry a cargo row (the driver's form): updates the platform receives too. Photos:
a plate close-up and a scene picture per passage (random bytes of the given sizes, sent inline as base64
unless --no-photos). Policy lifecycle rows (4 per passage) are written as well: the uplink reads and skips
them, as it does in a plant.

The platform is down for the whole day; the hub records the day; then the platform comes back and the
clock starts: catch-up time is from then until the platform holds every record. Throughput = records
delivered (passages + updates) / catch-up time. Also printed: real-time latency, passage recorded ->
platform holds it, with the platform up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import textwrap
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.components.uplink.profile import load_profile
from hub.components.uplink.simulator import PlatformSimulator
from hub.core import Hub, ManualClock

TZ = ZoneInfo("Asia/Shanghai")
STAGES = "6" * 45 + "5" * 35 + "4" * 10 + "D" * 10


def config(url: str, batch: int, photos: str, profile: str) -> str:
    return textwrap.dedent(f"""\
        hub:
          name: 上传基准
        ledger: {{}}
        uplink:
          plant: {{code: "91130200MA0BENCH01", name: 基准钢厂, region: "130200"}}
          idle_poll_seconds: 5
          platforms:
            - name: province
              profile: {profile}
              url: {url}
              account: demo
              key: demo-key
              secret: demo-secret
              batch_size: {batch}
              photos: {photos}
              acceptance_rows: passages
              retry: {{initial_seconds: 0.2, max_seconds: 1.0, request_timeout: 30}}
        """)


def passage(rng: random.Random, n: int, direction: str, photo_sizes: tuple[int, int] | None) -> dict:
    gate = rng.choice(["east_gate", "east_gate", "west_gate"])
    data = {
        "passage_id": str(uuid.uuid4()), "read_id": f"R{n}", "gate": gate,
        "lane": direction, "direction": direction,
        "plate": "冀" + rng.choice("ABCDEFGHJ") + f"{rng.randrange(100000):05d}", "colour": "yellow",
        "vehicle_class": "transport",
        "vehicle": {"emission_stage": rng.choice(STAGES), "fuel": rng.choice("BBBBEC"),
                    "fleet": "唐山顺达物流有限公司", "vehicle_type": "重型半挂牵引车",
                    "vin": "LFWADRJF1J1000001", "registered": True},
        "decision": "allow", "reason_code": "allowed", "reason_text": "国五柴油货车，准予入厂",
        "alert_level": "normal", "confidence": 0.97, "needs_review": False, "video_ref": f"nvr://{n}",
    }  # fmt: skip
    if photo_sizes:
        data["images"] = {"plate": b"\xff\xd8" + os.urandom(photo_sizes[0] * 1024),
                          "scene": b"\xff\xd8" + os.urandom(photo_sizes[1] * 1024)}  # fmt: skip
    return data


async def record_day(hub: Hub, clock: ManualClock, args: argparse.Namespace) -> tuple[int, int]:
    rng = random.Random(7)
    count = int(args.trucks * args.trips * 2)
    step = timedelta(days=1) / count
    photo_sizes = None if args.no_photos else tuple(args.photo_kb)
    passages = updates = 0
    profile = load_profile(args.profile)

    def sent(kind: str) -> bool:  # a follow-up the profile sends (as `update`, or a message of its own)
        return kind != "lifecycle" and (kind in profile.messages or "update" in profile.messages)

    call = hub.services.async_call
    for n in range(count):
        direction = "in" if n % 2 == 0 else "out"
        data = passage(rng, n, direction, photo_sizes)  # type: ignore[arg-type]
        await call("ledger", "record_passage", data)
        passages += 1
        pid = data["passage_id"]
        followups = [("lifecycle", {"state": s}) for s in ("decided", "opening", "passed", "closed")]
        followups.append(("weight", {"weight_kg": rng.randrange(15_000, 49_000)}))
        if direction == "in":
            followups.append(("cargo", {"cargo": "铁精粉", "quantity": 32.5}))
        updates += sum(1 for kind, _ in followups if sent(kind))
        jobs = [
            call("ledger", "record_followup", {"passage_id": pid, "kind": kind, "data": data})
            for kind, data in followups
        ]
        await asyncio.gather(*jobs)
        clock.advance(step)
        if n % 500 == 499:
            print(f"  recorded {n + 1}/{count} passages", flush=True)
    return passages, updates


async def main(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="uplink-bench-"))
    clock = ManualClock(datetime(2026, 11, 24, 0, 0, tzinfo=TZ))
    sim = PlatformSimulator(load_profile(args.profile), clock=lambda: clock.now().timestamp())
    await sim.async_start()
    photos = "none" if args.no_photos else "inline"
    (work / "configuration.yaml").write_text(
        config(sim.url, args.batch, photos, args.profile), encoding="utf-8"
    )
    hub = Hub(work, clock=clock)
    await hub.async_start()
    assert "uplink" in hub.loaded, hub.setup_errors
    try:
        await sim.async_go_down()
        print(f"Recording 24 h of a {args.trucks}-truck plant ({args.trips} trips/truck/day) "
              f"with the platform down ...", flush=True)  # fmt: skip
        started = time.perf_counter()
        passages, updates = await record_day(hub, clock, args)
        print(f"  {passages} passages, {updates} updates recorded in {time.perf_counter() - started:.1f} s")
        total = passages + updates
        await sim.async_come_back()
        started = time.perf_counter()
        kinds = ("passage", "update", "cargo", "weight")
        await sim.wait_for(lambda: sum(len(sim.ids(k)) for k in kinds) >= total, timeout=3600)
        catch_up = time.perf_counter() - started
        link = hub.data["uplink"].links["province"]
        print(
            f"\nCatch-up of the 24 h backlog: {catch_up:.1f} s for {total} records "
            f"({passages} passages + {updates} updates), {link.requests} requests of up to {args.batch}"
        )
        print(
            f"Delivery throughput: {total / catch_up:.0f} records/s "
            f"({passages / catch_up:.0f} passages/s with {photos} photos)"
        )
        print(f"Duplicates at the platform: {sum(sim.duplicates.values())}; rejected: {len(sim.rejections)}")
        latencies = []
        rng = random.Random(9)
        photo_sizes = None if args.no_photos else tuple(args.photo_kb)
        for n in range(args.latency_samples):
            data = passage(rng, 10_000_000 + n, "in", photo_sizes)  # type: ignore[arg-type]
            held = len(sim.ids("passage"))  # counted: a platform may key passages by its serial number
            t0 = time.perf_counter()
            await hub.services.async_call("ledger", "record_passage", data)
            await sim.wait_for(lambda held=held: len(sim.ids("passage")) > held, timeout=60)
            latencies.append((time.perf_counter() - t0) * 1000)
        latencies.sort()
        p95 = latencies[int(0.95 * len(latencies)) - 1]
        print(
            f"Real-time latency, recorded -> held by the platform ({len(latencies)} passages): "
            f"median {statistics.median(latencies):.1f} ms, p95 {p95:.1f} ms"
        )
    finally:
        await hub.async_stop()
        await sim.async_stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--trucks", type=int, default=1000)
    parser.add_argument("--trips", type=float, default=1.2, help="round trips per truck per day")
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--photo-kb", type=int, nargs=2, default=[20, 150], metavar=("PLATE", "SCENE"))
    parser.add_argument("--no-photos", action="store_true")
    parser.add_argument("--profile", default="default")
    parser.add_argument("--latency-samples", type=int, default=50)
    asyncio.run(main(parser.parse_args()))
