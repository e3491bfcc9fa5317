"""The console's purpose-made pages in headless Chromium at a 1280x800 screen, as an officer: no script
error, nothing wider than the screen, the statistics chart drawn by the vendored Chart.js, and the
same in English."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import expect

from hub.core import ManualClock
from hub.core.auth import Role
from tests.components.reports.conftest import MONTH_START, generate_month
from tests.ui.conftest import add_role_users, browser_page, ui_url

CONFIG = (
    "hub: {name: 控制台测试钢厂}\nledger:\nvehicles:\nreports: {schedule_enabled: false}\n"
    "quality: {check_seconds: 3600}\nui: {port: 0}\n"
)
PAGES = [
    "/quality?status=all", "/devices", "/uplink", "/vehicle/冀B10001",
    "/reports?report=statistics&period=custom&start=2026-11-01&end=2026-11-03",
    "/reports?report=clean&period=month&date=2026-11-01",
    "/reports?report=carriers&period=month&date=2026-11-01",
    "/reports?report=alerts&period=month&date=2026-11-01", "/reports?report=files", "/passages?plate=冀B1000",
]  # fmt: skip


async def test_console_pages_fit_1280_and_draw_their_chart(make_hub, browser) -> None:
    clock = ManualClock(MONTH_START - timedelta(hours=4))
    hub = await make_hub(CONFIG, clock=clock)
    await add_role_users(hub)
    await generate_month(hub, clock, days=3)
    clock.set(MONTH_START + timedelta(days=3, hours=9))
    await hub.services.async_call("quality", "run", {"start": "2026-11-01", "end": "2026-11-03"})
    base = ui_url(hub)
    page = await browser_page(browser, base, Role.OFFICER)
    errors = page.errors
    for lang in ("zh-CN", "en"):
        for path in PAGES:
            joiner = "&" if "?" in path else "?"
            response = await page.goto(f"{base}{path}{joiner}lang={lang}")
            assert response is not None and response.status == 200, path
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1280, f"{path} is {width} px wide"
        assert errors == [], errors
    await page.goto(f"{base}{PAGES[4]}&lang=zh-CN")
    await expect(page.locator("#stat-chart")).to_have_attribute("data-drawn", "true")
    await expect(page.locator("h1")).to_have_text("检查报表")
    await page.context.close()
