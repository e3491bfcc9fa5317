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

from hub.components.vehicles.const import EVENT_REGISTER_CHANGED
from tests.common import expect_event
from tests.components.ledger.conftest import passage
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


async def test_a_passage_commits_while_a_big_import_is_still_being_written(make_hub) -> None:
    # Found: the import wrote all its rows in one transaction; the ledger shares the database's one
    # writer, so a passage (and its barrier) waited 4-13 s behind a 100,000-row import.
    hub = await make_hub("hub:\n  name: 导入测试\nvehicles:\nledger:\n")
    rows = [transport(n) for n in range(1, 10_001)]
    first_written = expect_event(hub, EVENT_REGISTER_CHANGED, timeout=60)
    importing = asyncio.create_task(call(hub, "import", {"class": "transport", "records": rows}))
    await first_written
    await hub.services.async_call("ledger", "record_passage", passage(1))
    _, written = await hub.db.connection.execute_query("SELECT count(*) FROM vehicle")
    assert written[0][0] < len(rows)  # the passage did not wait for the whole import
    report = await importing
    assert report["created"] == len(rows) and report["rejected"] == 0, report
    _, written = await hub.db.connection.execute_query("SELECT count(*) FROM vehicle")
    assert written[0][0] == len(rows)
