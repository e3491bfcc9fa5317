"""The evidence pack's upload rates come from the uplink's status per platform and day."""

from __future__ import annotations

import io

import openpyxl

from hub.core import Context
from tests.components.uplink.conftest import acceptance_rows, passage, record, sim, start_sim, uplink_yaml

__all__ = ["sim", "start_sim"]  # fixtures of the uplink tests, used here


async def test_evidence_pack_shows_the_upload_rate_per_platform_and_day(
    make_hub, clock, sim, database
) -> None:
    hub = await make_hub(
        uplink_yaml(sim.url, db=database, extra="reports:\n  schedule_enabled: false\n"), clock=clock
    )
    assert {"ledger", "uplink", "reports"} <= set(hub.loaded), hub.setup_errors
    for n in range(3):
        await record(hub, passage(n))
    await acceptance_rows(hub, 3)
    info = await hub.services.async_call("reports", "export", {"kind": "evidence_pack"}, Context())
    got = await hub.services.async_call("reports", "file", {"name": info["name"]})
    sheet = openpyxl.load_workbook(io.BytesIO(got["content"]))["上传率"]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=10)]
    today = clock.now().date().isoformat()
    assert rows == [["province", today, 3, 3, 0, 0, 1.0, 1.0]]
    assert sheet.cell(10, 7).number_format == "0.00%"
