"""Run a plant under load for the kill test: every plate read of the simulated traffic, plus a steady
stream of passages, goes through `ledger.record_passage`; each committed passage is printed.

Usage: python ledger_load.py CONFIG_DIR [--once]   (--once: record one passage, stop cleanly)
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from typing import Any

from hub.core import Event, Hub
from hub.core.const import EVENT_PLATE_READ


def body(gate: str, lane: str, direction: str, plate: str, colour: str, tag: str) -> dict[str, Any]:
    return {
        "passage_id": str(uuid.uuid4()), "read_id": tag, "gate": gate, "lane": lane, "direction": direction,
        "plate": plate, "colour": colour, "vehicle_class": "transport", "decision": "allow",
        "reason_code": "allowed", "reason_text": "准予通行", "images": {"plate": b"\xff\xd8" + tag.encode()},
    }  # fmt: skip


async def main(config_dir: str, once: bool) -> None:
    hub = Hub(config_dir)
    await hub.async_start()

    async def record(data: dict[str, Any], source: str) -> None:
        result = await hub.services.async_call("ledger", "record_passage", data)
        print(f"COMMITTED {source} {result['seq']} {result['passage_id']}", flush=True)

    if once:
        await record(body("east_gate", "in", "in", "冀B00000", "yellow", "after-restart"), "once")
        await hub.async_stop()
        return

    def on_read(event: Event) -> None:
        d = event.data
        data = body(d["gate"], d["lane"], d["direction"], d["plate"], d["colour"], d["read_id"])
        hub.async_create_task(record(data, "read"))

    hub.bus.async_listen(EVENT_PLATE_READ, on_read)

    async def steady() -> None:
        n = 0
        while True:
            batch = [
                body("west_gate", "main", "in", f"津A{(n + i) % 100000:05d}", "blue", f"L{n + i}")
                for i in range(8)
            ]
            await asyncio.gather(*(record(data, "loop") for data in batch))
            n += len(batch)

    hub.async_create_background_task(steady(), name="steady load")
    print("READY", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], "--once" in sys.argv))
