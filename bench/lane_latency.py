"""Latency of a lane bound to entities: a plate entity's update -> the bound barrier's `cover.open_cover`.

    .venv/bin/python bench/lane_latency.py [--reads 2000] [--register 5000] [--gap-ms 20]

A hub with the real ledger (SQLite in a temporary directory), the register, and the policy with two
lanes: `bound/in`, whose plate is a sensor another camera system feeds (its state is set the way an
MQTT or OPC UA sensor sets it), whose barrier is a cover entity taking `cover.open_cover` and whose
display is a text entity; and `plain/in`, whose reads come as the `plate_read` event our camera fires
(no barrier). Reads alternate between the lanes, all registered plates of allowed stages, so every
bound read opens the barrier. Printed: p50/p90/p99/max from the update (or the event) to the
gate_decision, and for the bound lane to the moment `cover.open_cover` reaches the cover entity
(the passage row committed before it, as always). The difference between the two lanes' decision
times is what binding adds to the passage path.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.core import Context, Entity, EntityDescription, Hub
from hub.core.const import EVENT_GATE_DECISION, EVENT_PLATE_READ
from hub.core.context import ulid_now
from hub.core.writable import async_register_entity_services
from hub.util.vin import vin_check_digit

LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def plate_of(n: int) -> str:
    return "冀" + LETTERS[n // 100_000 % len(LETTERS)] + f"{n % 100_000:05d}"


def vehicle(n: int) -> dict[str, Any]:
    body = f"LFWADRJF0J{n:07d}"
    return {
        "plate": plate_of(n), "colour": "yellow", "vehicle_type": "重型半挂牵引车",
        "vin": body[:8] + vin_check_digit(body) + body[9:], "registration_date": "2020-06-01",
        "fuel": "B", "emission_stage": "6", "fleet": "唐山顺达物流有限公司", "network_status": True,
    }  # fmt: skip


class Arm(Entity):
    """The SCADA's barrier as a cover: notes when the command arrived, opens at once."""

    domain = "cover"
    entity_description = EntityDescription(key="scada_barrier", name="barrier")

    def __init__(self) -> None:
        self.position = "closed"
        self.opened_at: float | None = None

    @property
    def state(self) -> str:
        return self.position

    async def async_open_cover(self) -> None:
        self.opened_at = time.perf_counter()
        self.position = "open"
        self.async_write_state()
        self.position = "closed"  # ready for the next truck; written with its passage
        self.async_write_state()


class Led(Entity):
    domain = "text"
    entity_description = EntityDescription(key="scada_led", name="led")
    value = ""

    @property
    def state(self) -> str:
        return self.value

    async def async_set_value(self, value: str) -> None:
        self.value = value
        self.async_write_state()


CONFIG = """\
hub: {name: bench}
ledger: {}
vehicles: {}
policy:
  grade: B
  merge_seconds: 0
  lanes:
    - {gate: bound, lane: in, plate: sensor.lpr_plate, barrier: cover.scada_barrier, display: text.scada_led}
    - {gate: plain, lane: in}
"""


def percentiles(values: list[float]) -> str:
    ms = sorted(v * 1000 for v in values)
    q = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return f"p50 {q[49]:7.2f}  p90 {q[89]:7.2f}  p99 {q[98]:7.2f}  max {ms[-1]:7.2f} ms  (n={len(ms)})"


async def run(args: argparse.Namespace) -> None:
    directory = Path(tempfile.mkdtemp(prefix="lane-bench-"))
    (directory / "configuration.yaml").write_text(textwrap.dedent(CONFIG), encoding="utf-8")
    hub = Hub(directory, data_dir=directory / "data")
    await hub.async_start()
    try:
        for first in range(0, args.register, 5000):
            records = [vehicle(n) for n in range(first, min(first + 5000, args.register))]
            await hub.services.async_call("vehicles", "import", {"class": "transport", "records": records})
        arm = Arm()
        await hub.entities.async_add("bench", [arm, Led()])
        for domain in ("cover", "text"):
            async_register_entity_services(hub, domain)
        hub.states.async_set("sensor.lpr_plate", "unknown", {})

        decided: dict[str, list[float]] = {"bound": [], "plain": []}
        opened: list[float] = []
        for n in range(args.reads):
            lane = "bound" if n % 2 == 0 else "plain"
            plate = plate_of(n % args.register)
            waiter = asyncio.ensure_future(
                hub.bus.async_wait_for(EVENT_GATE_DECISION, lambda e, g=lane: e.data["gate"] == g, 10)
            )
            await asyncio.sleep(0)
            arm.opened_at = None
            started = time.perf_counter()
            if lane == "bound":
                hub.states.async_set("sensor.lpr_plate", plate, {"confidence": 0.97}, force_update=True)
            else:
                read_id = ulid_now()
                data = {"read_id": read_id, "gate": "plain", "lane": "in", "direction": "in", "plate": plate,
                        "colour": "yellow", "confidence": 0.97, "images": {}}  # fmt: skip
                hub.bus.async_fire(EVENT_PLATE_READ, data, Context(id=read_id))
            await waiter
            decided[lane].append(time.perf_counter() - started)
            if lane == "bound" and arm.opened_at is not None:
                opened.append(arm.opened_at - started)
            if args.gap_ms:
                await asyncio.sleep(args.gap_ms / 1000)
        print(f"reads: {args.reads}, register: {args.register} vehicles, gap {args.gap_ms} ms")
        print(f"plain lane (plate_read event) -> gate_decision:        {percentiles(decided['plain'])}")
        print(f"bound lane (plate entity update) -> gate_decision:     {percentiles(decided['bound'])}")
        print(f"bound lane (plate entity update) -> cover.open_cover:  {percentiles(opened)}")
    finally:
        await hub.async_stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--register", type=int, default=5000)
    parser.add_argument("--gap-ms", type=float, default=20)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
