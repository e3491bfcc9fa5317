"""Automation latency: trigger -> first action, and the passage path in a plant full of automations.

    .venv/bin/python bench/automation_latency.py [--changes 10000] [--automations 200] [--entities 2000]
                                                 [--reads 1000] [--register 5000] [--load 2000]
                                                 [--skip-probe] [--skip-plant]

1. Probe: a hub with the automation component only, `--automations` background automations watching
   `--entities` sensors, and one probe automation (a state trigger, a template condition, a service
   call with templated data). `--changes` state changes of the probe's sensor, one at a time (the
   next after the call arrived): time from `states.async_set` to the service handler starting.
2. Plant: the passage path, plate_read -> `barrier.open` called, with the real ledger (SQLite),
   register, policy and the simulated barrier PLC in a process of its own (as bench/policy_latency.py),
   `--reads` reads one at a time, 50 ms apart (a gate sees a truck every few seconds at most). Run
   twice: without automations, then with `--automations` automations (70 % state and 20 %
   numeric_state triggers on the sensors, their conditions passing about 1 % of changes; 2 % on every
   recorded passage; event and time_pattern triggers; every action a service call, audited with the
   run's `automation.run` row) while the `--entities` sensors change `--load` times a second. The
   difference between the two is what the automations cost the lane.

Printed: p50/p90/p99/max in milliseconds for each; for the probe also the event loop thread's CPU
time over the same span (what the hub itself spends, without the time other processes held the CPU),
and the machine's load average, since on a shared machine the wall-clock tail is mostly theirs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from policy_latency import config as plant_config
from policy_latency import percentiles, plate_of, start_plc, vehicle

from hub.core import Context, Hub, ServiceCall
from hub.core.const import EVENT_GATE_DECISION, EVENT_PLATE_READ


def background_automations(count: int, entities: int, with_passages: bool) -> str:
    """`count` automations of every trigger kind, spread over the `entities` sensors."""
    lines: list[str] = []
    for i in range(count):
        watched = [f"sensor.tag_{(i * 10 + k) % entities}" for k in range(10)]
        kind = i % 50  # 70 % state, 20 % numeric_state, 2 % passage, 4 % event, 4 % time_pattern
        if kind < 35:
            trigger = f"{{platform: state, entity_id: [{', '.join(watched)}]}}"
            condition = '"{{ trigger.to_state.state | int(0) > 990 }}"'
        elif kind < 45:
            trigger = f"{{platform: numeric_state, entity_id: [{', '.join(watched)}], above: 995}}"
            condition = "[]"
        elif kind == 45 and with_passages:
            trigger = "{platform: passage, stage: recorded}"
            condition = '"{{ trigger.passage.plate is string }}"'
        elif kind < 48:
            trigger = "{platform: event, event_type: bench_tick}"
            condition = "[]"
        else:
            trigger = f"{{platform: time_pattern, seconds: '/{5 + i % 7}'}}"
            condition = "[]"
        lines.append(
            f"- id: bg_{i}\n  mode: queued\n  trigger: {trigger}\n  condition: {condition}\n"
            "  action:\n    - service: bench.sink\n"
            '      data: {source: "{{ trigger.platform }}", n: ' + str(i) + "}\n"
        )
    return "".join(lines)


PROBE = """
- id: latency_probe
  mode: queued
  max: 10000
  trigger: {platform: state, entity_id: sensor.probe}
  condition: "{{ trigger.to_state.state | int(-1) >= 0 }}"
  action:
    - service: bench.probe
      data:
        value: "{{ trigger.to_state.state }}"
        from: "{{ trigger.from_state.state if trigger.from_state }}"
"""


def register_sinks(hub: Hub, on_probe: Any = None) -> dict[str, int]:
    counts = {"sink": 0, "probe": 0}

    async def sink(call: ServiceCall) -> None:
        counts["sink"] += 1

    async def probe(call: ServiceCall) -> None:
        counts["probe"] += 1
        if on_probe is not None:
            on_probe(call)

    hub.services.async_register("bench", "sink", sink)
    hub.services.async_register("bench", "probe", probe)
    return counts


async def load_entities(hub: Hub, entities: int, per_second: int, stop: asyncio.Event) -> int:
    """Change random sensors `per_second` times a second, in 10 ms slices."""
    rng, changed = random.Random(3), 0
    per_slice = max(1, per_second // 100)
    while not stop.is_set():
        for _ in range(per_slice):
            hub.states.async_set(f"sensor.tag_{rng.randrange(entities)}", str(rng.randrange(1000)))
            changed += 1
        await asyncio.sleep(0.01)
    return changed


async def probe(args: argparse.Namespace) -> None:
    directory = Path(tempfile.mkdtemp(prefix="automation-bench-"))
    (directory / "configuration.yaml").write_text("hub: {name: bench}\nautomation:\n", encoding="utf-8")
    (directory / "automations.yaml").write_text(
        PROBE + background_automations(args.automations, args.entities, False), encoding="utf-8"
    )
    hub = Hub(directory, data_dir=directory / "data")
    arrived = asyncio.Event()
    seen: list[tuple[float, float]] = []
    counts = register_sinks(
        hub, lambda call: (seen.append((time.perf_counter(), time.thread_time())), arrived.set())
    )
    await hub.async_start()
    try:
        for n in range(args.entities):
            hub.states.async_set(f"sensor.tag_{n}", "0")
        await hub.async_block_till_done()
        latencies: list[float] = []
        cpu: list[float] = []
        began = time.perf_counter()
        for n in range(args.changes):
            arrived.clear()
            t0, c0 = time.perf_counter(), time.thread_time()
            hub.states.async_set("sensor.probe", str(n))
            await asyncio.wait_for(arrived.wait(), 10)
            latencies.append(seen[-1][0] - t0)
            cpu.append(seen[-1][1] - c0)
            if n % 10 == 0:  # the 2,000 sensors move too, between probes
                hub.states.async_set(f"sensor.tag_{n % args.entities}", str(n % 1000))
        elapsed = time.perf_counter() - began
        await hub.async_block_till_done(timeout=60)
        print(f"probe: {args.changes} state changes in {elapsed:.1f} s; {args.automations} background "
              f"automations on {args.entities} sensors ran {counts['sink']} times")  # fmt: skip
        print(f"state change -> first action (service handler)  {percentiles(latencies)}")
        print(f"  the same in the loop thread's CPU time         {percentiles(cpu)}")
    finally:
        await hub.async_stop()


async def plant(args: argparse.Namespace, automations: int) -> list[float]:
    rng = random.Random(7)
    directory = Path(tempfile.mkdtemp(prefix="automation-plant-"))
    plc, plc_port = await start_plc()
    text = plant_config(None, plc_port, audit_lookups=False)
    if automations:
        text += "automation:\n"
        (directory / "automations.yaml").write_text(
            background_automations(automations, args.entities, True), encoding="utf-8"
        )
    (directory / "configuration.yaml").write_text(text, encoding="utf-8")
    hub = Hub(directory, data_dir=directory / "data")
    counts = register_sinks(hub)
    await hub.async_start()
    stop = asyncio.Event()
    try:
        records = [vehicle(n, rng) for n in range(args.register)]
        await hub.services.async_call("vehicles", "import", {"class": "transport", "records": records})
        for n in range(args.entities):
            hub.states.async_set(f"sensor.tag_{n}", "0")
        opened: dict[str, float] = {}
        original = hub.services.get("barrier", "open")

        async def timed_open(call: ServiceCall) -> Any:
            opened.setdefault(call.context.id, time.perf_counter())
            return await original.handler(call)

        hub.services.async_register("barrier", "open", timed_open, original.schema, roles=original.roles)
        decided = asyncio.Event()
        hub.bus.async_listen(EVENT_GATE_DECISION, lambda _e: decided.set())
        loader = asyncio.create_task(load_entities(hub, args.entities, args.load, stop))
        fired: dict[str, float] = {}
        for i in range(args.reads):
            read_id = f"BENCH{automations}-{i:07d}"
            data = {
                "read_id": read_id, "gate": "east", "lane": "in", "direction": "in",
                "plate": plate_of(rng.randrange(args.register)), "colour": "yellow", "confidence": 0.97,
                "needs_review": False, "source": "bench", "captured_at": hub.now().isoformat(),
                "read_at": hub.now().isoformat(),
            }  # fmt: skip
            decided.clear()
            fired[read_id] = time.perf_counter()
            # The camera lane's part (anpr/lane.py): the photo into hub.photos, the event names it.
            data["photos"] = await hub.photos.async_put({"plate": b"\xff\xd8\xff\xe0" + read_id.encode()})
            hub.bus.async_fire(EVENT_PLATE_READ, data, Context(id=read_id))
            await asyncio.wait_for(decided.wait(), 30)
            hub.bus.async_fire("bench_tick")
            await asyncio.sleep(0.05)
        stop.set()
        changed = await loader
        await hub.async_block_till_done(timeout=120)
        latencies = [opened[r] - t0 for r, t0 in fired.items() if r in opened]
        label = f"with {automations} automations" if automations else "without automations"
        print(f"plant {label}: {args.reads} reads, {len(latencies)} opened; {changed} sensor changes; "
              f"automation actions run: {counts['sink']}")  # fmt: skip
        print(f"plate_read -> barrier.open called ({label})  {percentiles(latencies)}")
        return latencies
    finally:
        stop.set()
        await hub.async_stop()
        plc.terminate()
        await plc.wait()


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000 if ordered else float("nan")


async def run(args: argparse.Namespace) -> None:
    # On a shared machine the wall-clock tail is mostly other processes: say how busy it was.
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    if not args.skip_probe:
        await probe(args)
    if not args.skip_plant:
        bare = await plant(args, 0)
        loaded = await plant(args, args.automations)
        print(f"passage path p99: {p99(bare):.2f} ms bare, {p99(loaded):.2f} ms with automations "
              f"(+{p99(loaded) - p99(bare):.2f} ms)")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--automations", type=int, default=200)
    parser.add_argument("--entities", type=int, default=2000)
    parser.add_argument("--reads", type=int, default=1000)
    parser.add_argument("--register", type=int, default=5000)
    parser.add_argument("--load", type=int, default=2000, help="sensor changes per second in the plant run")
    parser.add_argument("--skip-probe", action="store_true")
    parser.add_argument("--skip-plant", action="store_true")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
