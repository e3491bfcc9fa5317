"""Decision latency of the admission policy: plate_read -> barrier.open called, and -> gate_decision.

    .venv/bin/python bench/policy_latency.py [--reads 10000] [--register 50000] [--no-barrier]
                                             [--plc-in-hub] [--audit-lookups] [--photo-kb 0]
                                             [--gap-ms 0] [--db-url postgres://...]

A hub with the real ledger (SQLite in a temporary directory unless --db-url), the real register filled
with --register transport vehicles, the simulated barrier PLC over Modbus TCP on loopback (in a process
of its own, as a real PLC is a device of its own; --plc-in-hub runs it inside the hub, as the demo
does, where its side of every Modbus exchange costs the hub's event loop too), and the policy at
grade B. Reads are fired one at a time (the next after the previous gate_decision), 85 % of
registered plates (a mix of stages, so some are denied), 10 % unregistered, 5 % low-confidence.

Printed: p50/p90/p99/max in milliseconds from the camera's photos in hand (put in the hub's photo
store, then `plate_read` fired, as anpr/lane.py does) to the decision made (the moment
`ledger.record_passage` is called: lookup and rules), the commit itself, to the moment the policy calls
`barrier.open` (allowed reads), to the first barrier service call of any decision (open, or display
for deny/review), and to `gate_decision` (after the barrier call returned), plus reads per second.
The ledger commit of the passage row is inside all three: the policy waits for it before any
barrier call. --audit-lookups keeps the ledger's default audit list, under which every
`vehicles.lookup` call is also written to the audit log. --photo-kb N sends a plate close-up of N KiB
and a full-vehicle photo of 4 N KiB with every read (a real camera's JPEGs are 30-300 KiB), instead of
a few bytes. --gap-ms N waits N ms after each gate_decision before the next read: 0 (the default) fires
the next read while the previous passage's follow-ups (lifecycle rows) are being committed, so the
passage often waits for that commit before its own; a real lane sees a truck every few seconds at most
(--gap-ms 50 leaves the follow-ups time to commit first, as a real gate does).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.core import Context, Hub, ServiceCall
from hub.core.const import EVENT_GATE_DECISION, EVENT_PLATE_READ
from hub.util.vin import vin_check_digit

ROOT = Path(__file__).resolve().parent.parent
LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
STAGES = "6" * 50 + "5" * 30 + "4" * 12 + "3" * 3 + "D" * 5
ROUTINE = (
    "ledger.record_passage", "ledger.record_followup", "ledger.record_followups",
    "ledger.record_audit", "ledger.read_records",
    "ledger.open_passages", "barrier.open", "barrier.close", "barrier.display", "barrier.alarm",
    "vehicles.lookup",
)  # fmt: skip


def plate_of(n: int) -> str:
    return "冀" + LETTERS[n // 100_000 % len(LETTERS)] + f"{n % 100_000:05d}"


def vin_of(n: int) -> str:
    body = f"LFWADRJF0J{n:07d}"
    return body[:8] + vin_check_digit(body) + body[9:]


def vehicle(n: int, rng: random.Random) -> dict[str, Any]:
    stage = rng.choice(STAGES)
    return {
        "plate": plate_of(n), "colour": "yellow_green" if stage == "D" else "yellow",
        "vehicle_type": "重型半挂牵引车", "vin": vin_of(n), "registration_date": "2020-06-01",
        "fuel": "C" if stage == "D" else "B", "emission_stage": stage, "fleet": "唐山顺达物流有限公司",
        "network_status": True,
    }  # fmt: skip


def config(db_url: str | None, plc_port: int | None, audit_lookups: bool) -> str:
    """`plc_port`: the lane's PLC listens there (its own process); 0: simulated inside the hub;
    None: no barrier lane."""
    text = "hub:\n  name: bench\n" + (f"  db_url: {db_url}\n" if db_url else "")
    text += "ledger:\n"
    if not audit_lookups:
        text += "  audit_routine_services: [" + ", ".join(ROUTINE) + "]\n"
    text += "vehicles:\n"
    if plc_port is not None:
        plc = "simulator: {travel_seconds: 0.05, auto_close_seconds: 0.05}" if plc_port == 0 else ""
        text += (
            "barrier:\n  lanes:\n    - {gate: east, lane: in, "
            f"port: {plc_port}, scan_seconds: 0.05, registers: {{pulse_seconds: 0.05}}, {plc}}}\n"
        )
    return text + "policy:\n  grade: B\n  alarm_seconds: 1\n  merge_seconds: 0\n"


async def start_plc() -> tuple[asyncio.subprocess.Process, int]:
    """The simulated barrier PLC in a process of its own, as a real one is a device of its own."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    plc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub.integrations.barrier.simulator", "--port", str(port),
        "--travel", "0.05", "--auto-close", "0.05",
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
        cwd=ROOT,
    )  # fmt: skip
    assert plc.stdout is not None
    line = await asyncio.wait_for(plc.stdout.readline(), 30)
    if b"Simulated barrier PLC on" not in line:
        plc.kill()
        raise RuntimeError(f"the simulated PLC did not start: {line!r}")
    return plc, port


def photos(read_id: str, kib: int) -> dict[str, bytes]:
    head = b"\xff\xd8\xff\xe0" + read_id.encode()
    if not kib:
        return {"plate": head}
    return {"plate": head + random.randbytes(kib * 1024), "scene": head + random.randbytes(4 * kib * 1024)}


def percentiles(values: list[float]) -> str:
    if not values:
        return "n/a"
    ms = sorted(v * 1000 for v in values)
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return f"p50 {q[49]:7.2f}  p90 {q[89]:7.2f}  p99 {q[98]:7.2f}  max {ms[-1]:7.2f} ms  (n={len(ms)})"


async def run(args: argparse.Namespace) -> None:
    rng = random.Random(7)
    directory = Path(tempfile.mkdtemp(prefix="policy-bench-"))
    plc, plc_port = (None, 0) if args.plc_in_hub else await start_plc()
    (directory / "configuration.yaml").write_text(
        config(args.db_url, None if args.no_barrier else plc_port, args.audit_lookups), encoding="utf-8"
    )
    hub = Hub(directory, data_dir=directory / "data")
    await hub.async_start()
    try:
        started = time.perf_counter()
        batch = 5000
        for first in range(0, args.register, batch):
            records = [vehicle(n, rng) for n in range(first, min(first + batch, args.register))]
            await hub.services.async_call("vehicles", "import", {"class": "transport", "records": records})
        print(f"register: {args.register} vehicles imported in {time.perf_counter() - started:.1f} s")

        first_call: dict[str, float] = {}
        open_call: dict[str, float] = {}
        ledger_call: dict[str, float] = {}
        ledger_done: dict[str, float] = {}
        original_record = hub.services.get("ledger", "record_passage")

        async def record(call: ServiceCall) -> Any:
            ledger_call[call.context.id] = time.perf_counter()
            try:
                return await original_record.handler(call)
            finally:
                ledger_done[call.context.id] = time.perf_counter()

        hub.services.async_register(
            "ledger", "record_passage", record, original_record.schema, roles=original_record.roles
        )
        for service in ("open", "display"):
            if not hub.services.has_service("barrier", service):
                continue
            original = hub.services.get("barrier", service)

            def timed(original: Any = original, service: str = service) -> Any:
                async def handler(call: ServiceCall) -> Any:
                    now = time.perf_counter()
                    read_id = call.context.id
                    first_call.setdefault(read_id, now)
                    if service == "open":
                        open_call.setdefault(read_id, now)
                    return await original.handler(call)

                return handler

            hub.services.async_register("barrier", service, timed(), original.schema, roles=original.roles)

        fired: dict[str, float] = {}
        to_open: list[float] = []
        to_first: list[float] = []
        to_decision: list[float] = []
        to_ledger: list[float] = []
        in_ledger: list[float] = []
        verdicts: dict[str, int] = {}
        done = asyncio.Event()

        def on_decision(event: Any) -> None:
            now = time.perf_counter()
            read_id = event.data["read_id"]
            t0 = fired.pop(read_id, None)
            if t0 is None:
                return
            to_decision.append(now - t0)
            if read_id in ledger_call:
                called = ledger_call.pop(read_id)
                to_ledger.append(called - t0)
                in_ledger.append(ledger_done.pop(read_id, called) - called)
            if read_id in first_call:
                to_first.append(first_call.pop(read_id) - t0)
            if read_id in open_call:
                to_open.append(open_call.pop(read_id) - t0)
            verdicts[event.data["decision"]] = verdicts.get(event.data["decision"], 0) + 1
            done.set()

        hub.bus.async_listen(EVENT_GATE_DECISION, on_decision)
        began = time.perf_counter()
        for i in range(args.reads):
            roll = rng.random()
            if roll < 0.85:
                plate = plate_of(rng.randrange(args.register))
            else:
                plate = plate_of(args.register + rng.randrange(1_000_000))
            read_id = f"BENCH{i:08d}"
            data = {
                "read_id": read_id, "gate": "east", "lane": "in", "direction": "in", "plate": plate,
                "colour": "yellow", "confidence": 0.5 if roll > 0.95 else 0.97, "needs_review": roll > 0.95,
                "source": "bench", "captured_at": hub.now().isoformat(), "read_at": hub.now().isoformat(),
            }  # fmt: skip
            images = photos(read_id, args.photo_kb)
            done.clear()
            fired[read_id] = time.perf_counter()
            # The camera lane's part (anpr/lane.py), timed with the rest: the photos written and flushed
            # into hub.photos, then the event that names them.
            data["photos"] = await hub.photos.async_put(images)
            hub.bus.async_fire(EVENT_PLATE_READ, data, Context(id=read_id))
            await asyncio.wait_for(done.wait(), 30)
            if args.gap_ms:
                await asyncio.sleep(args.gap_ms / 1000)
        elapsed = time.perf_counter() - began
        await hub.async_block_till_done(timeout=120)
        print(f"reads: {args.reads} in {elapsed:.1f} s ({args.reads / elapsed:.0f}/s); decisions {verdicts}")
        print(f"plate_read -> decided (ledger call)  {percentiles(to_ledger)}")
        print(f"ledger.record_passage (commit)       {percentiles(in_ledger)}")
        print(f"plate_read -> barrier.open called    {percentiles(to_open)}")
        print(f"plate_read -> first barrier call     {percentiles(to_first)}")
        print(f"plate_read -> gate_decision          {percentiles(to_decision)}")
    finally:
        await hub.async_stop()
        if plc is not None:
            plc.terminate()
            await plc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reads", type=int, default=10_000)
    parser.add_argument("--register", type=int, default=50_000)
    parser.add_argument("--no-barrier", action="store_true", help="no barrier lane: record only")
    parser.add_argument("--plc-in-hub", action="store_true", help="simulate the PLC inside the hub")
    parser.add_argument("--audit-lookups", action="store_true", help="audit every vehicles.lookup call")
    parser.add_argument("--photo-kb", type=int, default=0, help="photo sizes: N KiB close-up, 4 N scene")
    parser.add_argument("--gap-ms", type=float, default=0, help="pause after each decision")
    parser.add_argument("--db-url", default=None)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
