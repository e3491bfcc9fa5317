"""Gate decision latency while the register imports a big file (issue 20: an import must not stall the gate).

    .venv/bin/python bench/import_gate_latency.py [--rows 100000] [--format csv|xlsx] [--register 5000]
                                                  [--gap-ms 20] [--tail 3] [--no-barrier]

A hub as in policy_latency.py (real ledger on SQLite, real register, the simulated barrier PLC in a
process of its own, the policy at grade B) with --register vehicles registered first. Then an officer's
file of --rows new transport vehicles is imported through `vehicles.import` (the file is built here, as
the export writes it), and while it runs a lane reads plates one at a time, --gap-ms apart, 85 % of them
registered. Reads go on for --tail seconds after the import has returned (the follow-up work: index,
announcements, sync).

Printed: the import's duration and report; plate_read -> decided (the policy calls
`ledger.record_passage`: lookup and rules) and -> gate_decision (after the commit and the barrier call)
as p50/p99/max during the import and after it; the event loop's worst lateness (a 10 ms ticker).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from policy_latency import config, percentiles, plate_of, start_plc, vehicle

from hub.core import Context, Hub, ServiceCall
from hub.core.const import EVENT_GATE_DECISION, EVENT_PLATE_READ


def import_file(rows: int, first: int, fmt: str) -> bytes:
    from hub.components.vehicles.fields import VehicleClass
    from hub.components.vehicles.tabular import write_table
    from hub.components.vehicles.transfer import export_rows

    rng = random.Random(11)
    records = [vehicle(n, rng) for n in range(first, first + rows)]
    headers, cells = export_rows(VehicleClass.TRANSPORT, records, labels=False)
    return write_table(fmt, "运输车辆", headers, cells)


async def loop_lag(worst: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        planned = time.perf_counter() + 0.01
        await asyncio.sleep(0.01)
        worst.append(time.perf_counter() - planned)


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(7)
    directory = Path(tempfile.mkdtemp(prefix="import-gate-bench-"))
    plc, plc_port = (None, None) if args.no_barrier else await start_plc()
    (directory / "configuration.yaml").write_text(config(None, plc_port, False), encoding="utf-8")
    hub = Hub(directory, data_dir=directory / "data")
    await hub.async_start()
    try:
        for start in range(0, args.register, 5000):
            batch = [vehicle(n, rng) for n in range(start, min(start + 5000, args.register))]
            await hub.services.async_call("vehicles", "import", {"class": "transport", "records": batch})
        built = time.perf_counter()
        content = await asyncio.to_thread(import_file, args.rows, args.register, args.format)
        print(
            f"register: {args.register} vehicles; import file: {args.rows} rows, {args.format}, "
            f"{len(content) / 2**20:.1f} MiB (built in {time.perf_counter() - built:.1f} s)"
        )

        decided: dict[str, float] = {}
        original = hub.services.get("ledger", "record_passage")

        async def record(call: ServiceCall) -> Any:
            decided.setdefault(call.context.id, time.perf_counter())
            return await original.handler(call)

        hub.services.async_register("ledger", "record_passage", record, original.schema, roles=original.roles)
        fired: dict[str, float] = {}
        phases: dict[str, tuple[list[float], list[float]]] = {"import": ([], []), "after": ([], [])}
        phase = "import"
        done = asyncio.Event()

        def on_decision(event: Any) -> None:
            read_id = event.data["read_id"]
            t0 = fired.pop(read_id, None)
            if t0 is None:
                return
            to_decided, to_gate = phases[phase]
            to_gate.append(time.perf_counter() - t0)
            if read_id in decided:
                to_decided.append(decided.pop(read_id) - t0)
            done.set()

        hub.bus.async_listen(EVENT_GATE_DECISION, on_decision)
        lag: list[float] = []
        stop = asyncio.Event()
        ticker = asyncio.create_task(loop_lag(lag, stop))
        began = time.perf_counter()
        job = asyncio.create_task(
            hub.services.async_call(
                "vehicles", "import",
                {"class": "transport", "content": content, "filename": f"import.{args.format}"},
                Context(),
            )
        )  # fmt: skip
        ended: float | None = None
        n = 0
        while ended is None or time.perf_counter() - ended < args.tail:
            if ended is None and job.done():
                ended = time.perf_counter()
                phase = "after"
            roll = rng.random()
            plate = plate_of(rng.randrange(args.register) if roll < 0.85 else 10_000_000 + n)
            read_id = f"BENCH{n:08d}"
            n += 1
            data = {
                "read_id": read_id, "gate": "east", "lane": "in", "direction": "in", "plate": plate,
                "colour": "yellow", "confidence": 0.97, "needs_review": False, "source": "bench",
                "captured_at": hub.now().isoformat(), "read_at": hub.now().isoformat(),
            }  # fmt: skip
            done.clear()
            fired[read_id] = time.perf_counter()
            # The camera lane's part (anpr/lane.py): the photo into hub.photos, the event names it.
            data["photos"] = await hub.photos.async_put({"plate": b"\xff\xd8\xff\xe0" + read_id.encode()})
            hub.bus.async_fire(EVENT_PLATE_READ, data, Context(id=read_id))
            await asyncio.wait_for(done.wait(), 60)
            await asyncio.sleep(args.gap_ms / 1000)
        stop.set()
        await ticker
        report = await job
        assert ended is not None
        print(
            f"import: {ended - began:.1f} s; created {report['created']}, rejected {report['rejected']}, "
            f"total {report['total']}"
        )
        for name, (to_decided, to_gate) in phases.items():
            print(f"[{name:6}] plate_read -> decided       {percentiles(to_decided)}")
            print(f"[{name:6}] plate_read -> gate_decision {percentiles(to_gate)}")
        print(f"event loop: worst lateness {max(lag) * 1000:.1f} ms, p99 {percentiles(lag)}")
    finally:
        await hub.async_stop()
        if plc is not None:
            plc.terminate()
            await plc.wait()
        shutil.rmtree(directory, ignore_errors=True)  # a 100,000-row run leaves ~300 MB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
    parser.add_argument("--register", type=int, default=5000, help="vehicles registered before the import")
    parser.add_argument("--gap-ms", type=float, default=20, help="pause after each decision")
    parser.add_argument("--tail", type=float, default=3, help="seconds of reads after the import returned")
    parser.add_argument("--no-barrier", action="store_true", help="no barrier lane: record only")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
