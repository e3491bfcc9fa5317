"""Latency of a lane bound to entities: a plate entity's update -> the bound barrier's `cover.open_cover`.

    .venv/bin/python bench/lane_latency.py [--reads 2000] [--register 5000] [--gap-ms 20] [--photo-kb 300]

A hub with the real ledger (SQLite in a temporary directory), the register, and the policy with two
lanes: `bound/in`, whose plate is a sensor another camera system feeds (its state is set the way an
MQTT or OPC UA sensor sets it), whose barrier is a cover entity taking `cover.open_cover` and whose
display is a text entity; and `plain/in`, whose reads come as the `plate_read` event our camera fires,
with camera-sized photos (`--photo-kb`, a scene and a plate crop a tenth of it, put in the hub's photo
store first, as the camera lane does, and timed from there), and whose barrier is a cover entity too.
Reads alternate between the lanes, all registered plates of allowed stages, so every read opens its
barrier. Printed: p50/p90/p99/max from the update (or the camera's photos) to the gate_decision and to
the moment `cover.open_cover` reaches the cover entity (the passage row committed before it, as
always). The difference between the two lanes' decision times is what binding adds to the passage
path, and what photos add.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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

JPEG = b"\xff\xd8\xff\xe0"  # the start of a JFIF file; the rest is noise of a camera photo's size
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

    def __init__(self, key: str) -> None:
        self.entity_description = EntityDescription(key=key, name=key)
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
    - {gate: plain, lane: in, barrier: cover.plain_barrier}
"""


def camera_photos(n: int, scene_kb: int) -> dict[str, bytes]:
    """A camera's photos of one read: a scene of `scene_kb` KiB and a plate crop a tenth of it, unique."""
    if not scene_kb:
        return {}
    stamp = n.to_bytes(4, "big")
    scene, plate = os.urandom(scene_kb * 1024), os.urandom(scene_kb * 102)
    return {"scene": JPEG + stamp + scene, "plate": JPEG + stamp + plate}


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
        arm, plain_arm = Arm("scada_barrier"), Arm("plain_barrier")
        await hub.entities.async_add("bench", [arm, plain_arm, Led()])
        for domain in ("cover", "text"):
            async_register_entity_services(hub, domain)
        hub.states.async_set("sensor.lpr_plate", "unknown", {})

        decided: dict[str, list[float]] = {"bound": [], "plain": []}
        opened: list[float] = []
        plain_opened: list[float] = []
        for n in range(args.reads):
            lane = "bound" if n % 2 == 0 else "plain"
            plate = plate_of(n % args.register)
            waiter = asyncio.ensure_future(
                hub.bus.async_wait_for(EVENT_GATE_DECISION, lambda e, g=lane: e.data["gate"] == g, 10)
            )
            await asyncio.sleep(0)
            arm.opened_at = plain_arm.opened_at = None
            photos = camera_photos(n, args.photo_kb)
            started = time.perf_counter()
            if lane == "bound":
                hub.states.async_set("sensor.lpr_plate", plate, {"confidence": 0.97}, force_update=True)
            else:
                # What our camera lane does (anpr/lane.py): its photos into hub.photos, the event names them.
                refs = await hub.photos.async_put(photos)
                read_id = ulid_now()
                data = {"read_id": read_id, "gate": "plain", "lane": "in", "direction": "in", "plate": plate,
                        "colour": "yellow", "confidence": 0.97, "photos": refs}  # fmt: skip
                hub.bus.async_fire(EVENT_PLATE_READ, data, Context(id=read_id))
            await waiter
            decided[lane].append(time.perf_counter() - started)
            if lane == "bound" and arm.opened_at is not None:
                opened.append(arm.opened_at - started)
            if lane == "plain" and plain_arm.opened_at is not None:
                plain_opened.append(plain_arm.opened_at - started)
            if args.gap_ms:
                await asyncio.sleep(args.gap_ms / 1000)
        print(
            f"reads: {args.reads}, register: {args.register} vehicles, gap {args.gap_ms} ms, "
            f"scene photo {args.photo_kb} KiB"
        )
        print(f"plain lane (plate_read event) -> gate_decision:        {percentiles(decided['plain'])}")
        print(f"plain lane (plate_read event) -> cover.open_cover:     {percentiles(plain_opened)}")
        print(f"bound lane (plate entity update) -> gate_decision:     {percentiles(decided['bound'])}")
        print(f"bound lane (plate entity update) -> cover.open_cover:  {percentiles(opened)}")
    finally:
        await hub.async_stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reads", type=int, default=2000)
    parser.add_argument("--register", type=int, default=5000)
    parser.add_argument("--gap-ms", type=float, default=20)
    parser.add_argument("--photo-kb", type=int, default=300, help="scene photo per read, KiB; 0: none")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
