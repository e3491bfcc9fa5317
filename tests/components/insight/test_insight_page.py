"""The air-quality page in Chromium: an officer sees the station's readings, a remote-sensing reading
joined to its passage, the flagged vehicle and carrier, the anomalies (and acknowledges one), and the
correlation with its charts; English is complete; a guard may not open it."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from hub.core.auth import Role
from hub.integrations.airquality import hj212
from tests.ui.conftest import add_role_users, browser_page, signed_in, ui_url

TOKEN = "rs-token-0123456789abcdef"
CONFIG = f"""\
hub: {{name: 空气质量页面测试}}
ledger: {{}}
ui: {{port: 0}}
airquality:
  stations: [{{key: fence_east, name: 东厂界微站, mn: AQ0001EAST, password: "123456"}}]
  remote_sensing:
    - {{key: east_road, gate: east_gate, lane: in, token: {TOKEN},
       simulator: {{invalid_share: 0, plate_share: 1, seed: 5}}}}
insight:
  limits: [{{fuel: B, stages: ["6"], opacity_pct: 10, no_ppm: 500}}]
"""
DIRTY = "冀B10001"


async def send(hub, packets: list[bytes]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", hub.data["airquality"].hj212.port)
    try:
        writer.write(b"".join(packets))
        for _ in packets:
            await asyncio.wait_for(reader.readuntil(b"\r\n"), 5)
    finally:
        writer.close()


async def plant_a_day(hub, clock) -> None:
    """30 hourly averages, a live value out of range, and a dirty 国六 truck measured at the gate."""
    start = clock.now().replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
    hours = [
        hj212.build_data(mn="AQ0001EAST", pw="123456", cn="2061", data_time=start + timedelta(hours=h),
                         values={"a34004": (40.0 + (h * 7) % 11, "N"), "a01008": (90.0, "N")})
        for h in range(30)
    ]  # fmt: skip
    live = hj212.build_data(mn="AQ0001EAST", pw="123456", cn="2011", data_time=clock.now(),
                            values={"a34004": (5000.0, "N"), "a34002": (80.0, "N")})  # fmt: skip
    await send(hub, [*hours, live])
    await hub.services.async_call("ledger", "record_passage", {
        "passage_id": str(uuid.uuid4()), "gate": "east_gate", "lane": "in", "direction": "in", "plate": DIRTY,
        "decision": "allow", "vehicle": {"emission_stage": "6", "fuel": "B", "fleet": "顺达物流"},
    })  # fmt: skip
    await hub.async_block_till_done()
    sim = hub.data["airquality"].simulators["east_road"]
    await sim.async_send(sim.reading({"plate": DIRTY, "emission_stage": "3", "fuel": "B", "lane": "in"}))
    await hub.async_block_till_done()


async def test_an_officer_reads_the_air_quality_page_and_acknowledges_an_anomaly(make_hub, clock, browser):
    hub = await make_hub(CONFIG, clock=clock)
    await add_role_users(hub)
    await plant_a_day(hub, clock)
    base = ui_url(hub)
    guard = await signed_in(base, Role.GUARD)
    async with guard.get(f"{base}/airquality") as response:
        assert response.status == 403
    await guard.close()

    page = await browser_page(browser, base, Role.OFFICER, "/airquality")
    assert await page.locator("nav a[href='/airquality']").inner_text() == "空气质量"
    station = page.locator("table.station-readings[data-station=fence_east]")
    assert "5000" in await station.locator("tr[data-factor=pm25]").inner_text()
    reading = page.locator("#rs-readings tbody tr").first
    assert DIRTY in await reading.inner_text() and "按车牌" in await reading.inner_text()
    assert await reading.locator("a[href^='/passages/']").count() == 1
    assert "顺达物流" in await page.locator("#flagged-carriers").inner_text()
    assert DIRTY in await page.locator("#flagged-vehicles").inner_text()
    out_of_range = page.locator("#anomaly-list tr[data-rule=station_out_of_range]")
    assert "微站数据超量程" in await out_of_range.inner_text()
    await out_of_range.locator("input[name=note]").fill("已派人校准")
    await out_of_range.locator("button[type=submit]").click()
    await page.wait_for_url("**done=acknowledged**")
    acknowledged = page.locator("#anomaly-list tr[data-rule=station_out_of_range] [data-field=ack]")
    assert "officer" in await acknowledged.inner_text() and "已派人校准" in await acknowledged.inner_text()
    # The correlation over the last week with its four charts, drawn by the hub.
    assert await page.locator("#correlation-result [data-field=lag]").count() == 1
    charts = page.locator("img.insight-chart")
    assert await charts.count() == 4
    for index in range(4):
        await charts.nth(index).scroll_into_view_if_needed()
        image = await charts.nth(index).element_handle()
        await page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image)
    assert page.errors == []

    english = await browser_page(browser, base, Role.INSPECTOR, "/airquality")
    await english.click("a[lang=en]")
    await english.wait_for_load_state()
    text = await english.locator("body").inner_text()
    assert "Air quality and remote sensing" in text and "Microstation reading out of range" in text
    assert await english.locator("#anomaly-list form").count() == 0  # an inspector reads only
