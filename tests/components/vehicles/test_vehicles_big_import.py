"""A big register import shares the hub with the gate (issue 20): lanes keep deciding meanwhile.

Speed itself is measured by bench/import_gate_latency.py; here, what makes the gate wait: a full
garbage collection walks every object the hub holds (the register, the file being imported) in one
go, hundreds of milliseconds at plant scale, so none may run while an import builds its records.
"""

from __future__ import annotations

import asyncio
import csv
import gc
import io
from typing import Any

from tests.components.vehicles.conftest import call, transport
from tests.components.vehicles.test_vehicles_hostile import TRANSPORT_NAMES, transport_headers

ROWS = 15_000


def register_file(rows: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(transport_headers())
    for n in range(1, rows + 1):
        record = transport(n)
        writer.writerow([record.get(name) for name in TRANSPORT_NAMES])
    return out.getvalue().encode("utf-8")


async def test_no_full_garbage_collection_runs_during_a_big_import(vehicles_hub) -> None:
    hub = await vehicles_hub()
    content = register_file(ROWS)
    full: list[dict[str, Any]] = []

    def watch(phase: str, info: dict[str, Any]) -> None:
        if phase == "start" and info["generation"] == 2:
            full.append(info)

    answered: list[Any] = []

    async def lane() -> None:  # a lane looking plates up throughout the import
        while True:
            answered.append(await call(hub, "lookup", {"plate": "冀B00001"}))
            await asyncio.sleep(0.01)

    gc.collect()
    gc.callbacks.append(watch)
    looking = asyncio.create_task(lane())
    try:
        report = await call(hub, "import", {"class": "transport", "content": content, "filename": "a.csv"})
    finally:
        gc.callbacks.remove(watch)
        looking.cancel()
    assert report["created"] == ROWS and report["rejected"] == 0, report
    assert full == []
    assert answered and (await call(hub, "lookup", {"plate": f"冀B{ROWS:05d}"}))["registered"]
    # the collector is back on afterwards
    assert gc.isenabled()
