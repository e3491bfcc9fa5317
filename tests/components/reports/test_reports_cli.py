"""`ecogate report ...` and `ecogate export ...` as an officer runs them, with the hub running and without."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from datetime import timedelta

import openpyxl

from tests.components.reports.conftest import MONTH_START, record
from tests.conftest import REPO


async def ecogate(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "hub",
        *args,
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode("utf-8", "replace")


async def test_report_and_export_commands(reports_hub, month_clock, tmp_path) -> None:
    config_dir = tmp_path / "plant"
    hub = await reports_hub(config_dir=config_dir)
    day = MONTH_START + timedelta(days=6, hours=9)
    await record(hub, month_clock, day, plate="冀B00001", vehicle={"emission_stage": "6", "fuel": "B"})
    await record(
        hub,
        month_clock,
        day + timedelta(minutes=1),
        plate="冀B00002",
        decision="deny",
        reason_code="forbidden",
        vehicle={"emission_stage": "4", "fuel": "B"},
    )
    # the hub runs: the commands hand their calls to it over its control socket
    code, out = await ecogate("report", "daily", "--date", "2026-11-07", "-c", str(config_dir))
    assert code == 0, out
    figures = json.loads(out)
    assert (figures["totals"]["in"], figures["totals"]["deny"]) == (2, 1)
    code, out = await ecogate(
        "report", "monthly", "--month", "2026-11", "--format", "xlsx", "-c", str(config_dir)
    )
    assert code == 0 and "统计报表_20261101-20261130" in out, out
    code, out = await ecogate(
        "report", "clean-transport", "--from", "2026-11-01", "--to", "2026-11-30", "-c", str(config_dir)
    )
    assert code == 0 and json.loads(out)["road_total"] == 0, out
    code, out = await ecogate("export", "passages", "--date", "2026-11-07", "-c", str(config_dir))
    assert code == 0, out
    name = out.split()[0]
    ws = openpyxl.load_workbook(config_dir / "data" / "reports" / name).active
    assert [r[6].value for r in ws.iter_rows(min_row=10)] == ["冀B00001", "冀B00002"]
    code, out = await ecogate(
        "export",
        "passages",
        "--period",
        "custom",
        "--from",
        "2026-12-01",
        "--to",
        "2026-11-01",
        "-c",
        str(config_dir),
    )
    assert code != 0 and "end" in out
    await hub.async_stop()  # no hub: the command sets up ledger and reports on the data itself
    code, out = await ecogate("report", "weekly", "--date", "2026-11-07", "-c", str(config_dir))
    assert code == 0 and json.loads(out)["totals"]["in"] == 2, out
