"""The vehicle register at plant scale: bulk import, lookup latency (the gate's hot path), exports.

    .venv/bin/python bench/vehicles_register.py [--records 50000] [--lookups 10000] [--db-url postgres://...]

Prints: import rate (records given as dicts, then the exported .xlsx/.csv re-imported unchanged), start-up
load time of the in-memory index, `vehicles.lookup` latency p50/p99 through the service registry (with
validation, permission and the `service_called` audit event) and of the index alone, export times.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.core import Context, Hub
from hub.util.vin import vin_check_digit

PROVINCES = "冀冀冀冀津晋鲁京豫蒙辽"
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXY"
STAGES = "6" * 45 + "5" * 35 + "4" * 12 + "3" * 3 + "D" * 5


def vin(rng: random.Random) -> str:
    body = "L" + "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(16))
    return body[:8] + vin_check_digit(body) + body[9:]


def records(count: int, seed: int = 7) -> list[dict]:
    rng = random.Random(seed)
    plates: set[str] = set()
    out = []
    while len(out) < count:
        stage = rng.choice(STAGES)
        electric = stage == "D"
        plate = (
            rng.choice(PROVINCES)
            + rng.choice(LETTERS)
            + f"{rng.randrange(100000):05d}"
            + ("D" if electric else "")
        )
        if plate in plates:
            continue
        plates.add(plate)
        out.append({
            "plate": plate, "colour": "yellow_green" if electric else "yellow",
            "vehicle_type": "重型半挂牵引车",
            "vin": vin(rng), "registration_date": f"20{rng.randrange(10, 25)}-0{rng.randrange(1, 10)}-15",
            "fuel": "C" if electric else rng.choice("BBBBE"), "emission_stage": stage,
            "network_status": rng.random() < 0.9,
            "fleet": rng.choice(["自有车队", "唐山顺达物流有限公司", "个体"]),
        })  # fmt: skip
    return out


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    return f"p50 {p50 * 1e6:7.1f} µs   p99 {p99 * 1e6:7.1f} µs   max {ordered[-1] * 1e6:8.1f} µs"


async def watch_loop(stalls: list[float]) -> None:
    """How long the event loop (and so every gate decision) was held up, tick by tick."""
    while True:
        t0 = time.perf_counter()
        await asyncio.sleep(0.005)
        stalls.append(time.perf_counter() - t0 - 0.005)


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / "config"
        config.mkdir()
        db = f"  db_url: {args.db_url}\n" if args.db_url else ""
        (config / "configuration.yaml").write_text(f"hub:\n  name: bench\n{db}vehicles:\n", encoding="utf-8")
        hub = Hub(config)
        await hub.async_start()
        call = hub.services.async_call
        data = records(args.records)

        stalls: list[float] = []
        watcher = asyncio.create_task(watch_loop(stalls))
        started = time.perf_counter()
        report = await call("vehicles", "import", {"class": "transport", "records": data})
        took = time.perf_counter() - started
        watcher.cancel()
        rate = report["created"] / took
        print(f"import {report['created']} records (dicts):     {took:6.2f} s  ({rate:,.0f}/s)")
        print(f"  longest event-loop stall meanwhile:   {max(stalls, default=0) * 1e3:6.0f} ms")

        for fmt in ("csv", "xlsx"):
            started = time.perf_counter()
            exported = await call("vehicles", "export", {"class": "transport", "format": fmt})
            took = time.perf_counter() - started
            size = len(exported["content"]) / 1e6
            print(f"export .{fmt}:                          {took:6.2f} s  ({size:.1f} MB)")
            started = time.perf_counter()
            again = await call("vehicles", "import", {"class": "transport", "content": exported["content"]})
            took = time.perf_counter() - started
            print(f"re-import .{fmt} ({again['unchanged']} unchanged):     {took:6.2f} s")

        register = hub.data["vehicles"]
        started = time.perf_counter()
        await register.async_load()
        print(f"load the index at start:                {time.perf_counter() - started:6.2f} s")

        rng = random.Random(1)
        known = [r["plate"] for r in data]
        plates = [
            rng.choice(known) if rng.random() < 0.9 else f"冀Z{rng.randrange(100000):05d}"
            for _ in range(args.lookups)
        ]
        context = Context()
        service: list[float] = []
        for plate in plates:
            t0 = time.perf_counter()
            await call("vehicles", "lookup", {"plate": plate, "colour": "yellow"}, context)
            service.append(time.perf_counter() - t0)
        direct: list[float] = []
        for plate in plates:
            t0 = time.perf_counter()
            register.lookup(plate, "yellow")
            direct.append(time.perf_counter() - t0)
        print(f"vehicles.lookup service ({args.lookups:,}):   {percentiles(service)}")
        print(f"index lookup alone ({args.lookups:,}):        {percentiles(direct)}")
        await hub.async_stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--lookups", type=int, default=10_000)
    parser.add_argument("--db-url", default=None)
    asyncio.run(main(parser.parse_args()))
