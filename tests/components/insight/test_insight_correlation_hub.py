"""The correlation service over what the hub itself collected: three days of a station pushing hourly
values over HTTP and of entries in the ledger, with a planted lag of one hour."""

from __future__ import annotations

import math
import random
import uuid
from datetime import timedelta

import aiohttp
from openpyxl import load_workbook

TOKEN = "station-token-0123456789"
CONFIG = f"""\
hub:
  name: t
DATABASE
ledger: {{}}
airquality:
  stations:
    - {{key: fence, source: http, token: {TOKEN}, factors: [pm25, wind_direction],
       fields: {{pm25: pm25, wind_direction: wd}}}}
insight: {{}}
reports: {{}}
"""


async def test_the_correlation_service_recovers_a_planted_lag(make_hub, clock, database) -> None:
    hub = await make_hub(CONFIG.replace("DATABASE\n", database), clock=clock)
    rng = random.Random(11)
    url = f"http://127.0.0.1:{hub.data['airquality'].push.port}/api/airquality/station/fence"
    start = clock.now().replace(minute=0, second=0)
    entries: list[int] = []
    parts, total = 0.0, 0.0
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        for h in range(72):
            clock.set(start + timedelta(hours=h, minutes=5))
            busy = 6 <= clock.now().hour <= 20
            entries.append(rng.randint(0, 8 if busy else 1))
            for _ in range(entries[-1]):  # 国四 diesel trucks
                await hub.services.async_call("ledger", "record_passage", {
                    "passage_id": str(uuid.uuid4()), "gate": "east_gate", "lane": "in", "direction": "in",
                    "plate": f"冀B{rng.randint(10000, 99999)}", "decision": "allow",
                    "vehicle": {"emission_stage": "4", "fuel": "B"},
                })  # fmt: skip
            part = 3.0 * (entries[-2] if h else 0)  # what last hour's trucks add now
            value = 40 + 10 * math.cos(2 * math.pi * (clock.now().hour - 3) / 24) + part + rng.gauss(0, 2)
            parts, total = parts + part, total + value
            clock.set(start + timedelta(hours=h, minutes=30))
            doc = {"pm25": round(value, 2), "wd": 90 if h % 2 else 270}
            async with session.post(url, json=doc, headers={"X-Auth-Token": TOKEN}) as resp:
                assert resp.status == 200
            if h == 10:  # a glitch beyond PM2.5's range: an anomaly, never part of the hour's mean
                async with session.post(url, json={"pm25": 4000}, headers={"X-Auth-Token": TOKEN}) as resp:
                    assert resp.status == 200
            await hub.async_block_till_done()
    answer = await hub.services.async_call("insight", "correlation", {
        "station": "fence", "start": start.isoformat(), "end": (start + timedelta(hours=72)).isoformat(),
        "max_lag_hours": 3,
    })  # fmt: skip
    result = answer["result"]
    assert result["lag_hours"] == 1 and result["hours"] == 72  # R² 0.92 at one hour, 0.33-0.35 at 0, 2, 3
    assert abs(result["mean_concentration"] - total / 72) < 0.01
    low, high = result["share_95"]
    assert low <= parts / total <= high, (parts / total, result)
    assert answer["groups"][0] == "le4" and "OLS" in answer["method"]
    assert set(answer["by_sector"]) == {"E", "W"}  # the wind turns every hour: both sectors are fitted
    # Per plant day and month, with the same coefficients: every hour is in one day and the month.
    assert sum(day["hours"] for day in answer["by_day"]) == 72
    assert sum(month["hours"] for month in answer["by_month"]) == 72
    for day in answer["by_day"]:
        assert day["share_95"][0] <= day["traffic_share"] <= day["share_95"][1]
    assert (await hub.services.async_call("insight", "stations", {}))["stations"][0]["station"] == "fence"
    # The charts, drawn offline: PNG and SVG, each what an image viewer opens (the report below draws
    # all four).
    query = {"station": "fence", "start": start.isoformat(), "end": (start + timedelta(hours=72)).isoformat()}
    png = await hub.services.async_call("insight", "chart", {**query, "chart": "daily"})
    assert png["content_type"] == "image/png" and png["data"].startswith(b"\x89PNG\r\n\x1a\n")
    svg = await hub.services.async_call("insight", "chart", {**query, "chart": "lag", "format": "svg"})
    assert svg["content_type"] == "image/svg+xml" and b"<svg" in svg["data"][:2000]
    # The report: the figures per station, day and month, and the charts as pictures.
    last = start + timedelta(hours=71)
    report = await hub.services.async_call("reports", "export", {
        "kind": "air_quality", "period": "custom", "start": start.date().isoformat(),
        "end": last.date().isoformat(),
    })  # fmt: skip
    _, path = await hub.data["reports"].async_file(report["name"])
    book = load_workbook(path)
    assert book.sheetnames == ["车流贡献", "逐日逐月", "图表 fence"]
    summary = [row for row in book["车流贡献"].iter_rows(values_only=True) if row and row[0] == "fence"]
    assert summary[0][1] == "pm25" and summary[0][3] == result["lag_hours"]
    assert len(book["图表 fence"]._images) == 4  # openpyxl names a sheet's pictures only so
