"""The reports' REST routes as a script uses them: a bearer token, roles enforced, a file downloaded."""

from __future__ import annotations

import io
from datetime import timedelta

import aiohttp
import openpyxl

from hub.core.auth import Role
from tests.components.reports.conftest import MONTH_START, followup, record
from tests.ui.conftest import add_role_users, token_for, ui_url


async def test_statistics_export_download_and_tonnage_over_rest(reports_hub, month_clock) -> None:
    hub = await reports_hub(extra="ui: {port: 0}\n")
    await add_role_users(hub)
    day = MONTH_START + timedelta(days=1, hours=9)
    pid = await record(hub, month_clock, day, plate="冀B00001", vehicle={"emission_stage": "6", "fuel": "B"})
    await followup(
        hub, month_clock, day + timedelta(minutes=1), pid, "cargo", {"cargo": "钢材", "quantity": 30}
    )
    base = ui_url(hub)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as http:
        auth = {role: {"Authorization": f"Bearer {await token_for(http, base, role)}"} for role in Role}
        query = "period=month&date=2026-11-02"
        async with http.get(f"{base}/api/reports/statistics?{query}", headers=auth[Role.INSPECTOR]) as r:
            assert r.status == 200
            body = await r.json()
            assert body["totals"]["in"] == 1 and body["tonnage"]["in"] == 30
        async with http.get(f"{base}/api/reports/statistics?{query}", headers=auth[Role.GUARD]) as r:
            assert r.status == 403
        async with http.get(f"{base}/api/reports/statistics?period=custom", headers=auth[Role.OFFICER]) as r:
            assert r.status == 400 and "start" in (await r.json())["message"]
        async with http.get(f"{base}/api/reports/statistics?colour=red", headers=auth[Role.OFFICER]) as r:
            assert r.status == 400
        entry = {
            "mode": "rail",
            "direction": "in",
            "start": "2026-11-01",
            "end": "2026-11-30",
            "tonnes": 120,
            "source": "铁路运单",
        }
        async with http.post(f"{base}/api/reports/tonnage", json=entry, headers=auth[Role.INSPECTOR]) as r:
            assert r.status == 403
        async with http.post(f"{base}/api/reports/tonnage", json=entry, headers=auth[Role.OFFICER]) as r:
            assert r.status == 200
        csv_file = "运输方式,方向,开始日期,结束日期,吨数,来源\n水路,入厂,2026-11-01,2026-11-30,1000.5,港口\n"
        url = f"{base}/api/reports/tonnage/import?filename=water.csv&source=港口统计"
        async with http.post(url, data=csv_file.encode("utf-8"), headers=auth[Role.OFFICER]) as r:
            assert r.status == 200 and (await r.json())["imported"] == 1
        bad = "运输方式,方向,开始日期,结束日期,吨数\n飞机,入厂,2026-11-01,2026-11-30,1\n"
        async with http.post(url, data=bad.encode("utf-8"), headers=auth[Role.OFFICER]) as r:
            errors = (await r.json())["errors"]
            assert r.status == 200 and errors[0]["row"] == 2 and "mode" in errors[0]["error"]
        async with http.get(f"{base}/api/reports/clean-transport?{query}", headers=auth[Role.INSPECTOR]) as r:
            clean = await r.json()
            assert clean["other_total"] == 1120.5 and clean["road_total"] == 30
        body = {"kind": "passages", "period": "month", "date": "2026-11-02"}
        async with http.post(f"{base}/api/reports/export", json=body, headers=auth[Role.INSPECTOR]) as r:
            assert r.status == 200
            name = (await r.json())["name"]
        async with http.get(f"{base}/api/reports/files/{name}", headers=auth[Role.INSPECTOR]) as r:
            assert r.status == 200 and "attachment" in r.headers["Content-Disposition"]
            ws = openpyxl.load_workbook(io.BytesIO(await r.read())).active
            assert ws.cell(10, 7).value == "冀B00001"
        async with http.get(f"{base}/api/reports/files/nothing.xlsx", headers=auth[Role.INSPECTOR]) as r:
            assert r.status == 404
        async with http.get(f"{base}/api/reports/files", headers=auth[Role.OFFICER]) as r:
            assert [f["name"] for f in (await r.json())["files"]] == [name]
