"""The HMI in headless Chromium: sign in, watch plates arrive live in Chinese, switch to English, roles.

One hub (demo traffic at a high rate through simulated cameras, plus a push camera) and one browser for
the whole module, to keep it quick.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import Browser, Page, expect

from hub.core import Hub
from hub.core.auth import Role
from hub.core.const import EVENT_PLATE_READ
from tests.common import chromium
from tests.conftest import write_config
from tests.ui.conftest import add_role_users, browser_page, ui_url

pytestmark = pytest.mark.asyncio(loop_scope="module")
CONFIG = """\
hub: {name: 演示钢厂}
traffic:
  rate_per_minute: 240
  seed: 7
  lanes: [{gate: east_gate, lane: in, directions: [in]}]
anpr:
  confidence_threshold: 0.85
  push: {host: 127.0.0.1, port: 0}
  cameras:
    - {gate: east_gate, lane: in, direction: in, source: simulator, name: 东门入口车牌相机}
    - {gate: west_gate, lane: main, direction: both, source: push, name: 西门车牌相机,
       token: west-camera-secret-0001}
ledger:
policy:
ui: {port: 0}
"""


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def plant(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Hub]:
    directory = write_config(tmp_path_factory.mktemp("ui_browser"), CONFIG)
    hub = Hub(directory, data_dir=directory / "data")
    await hub.async_start()
    assert not hub.setup_errors, hub.setup_errors
    await add_role_users(hub)
    yield hub
    await hub.async_stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser() -> AsyncIterator[Browser]:
    async with chromium() as launched:  # one for the whole module, to keep it quick
        yield launched


async def signed_in(browser: Browser, hub: Hub, role: Role) -> Page:
    # A browser on a machine set to another zone: the HMI still shows plant time.
    return await browser_page(
        browser, ui_url(hub), role, viewport={"width": 1400, "height": 900}, timezone_id="America/New_York"
    )


async def test_guard_watches_plates_arrive_live_in_chinese(
    plant: Hub, browser: Browser, tmp_path: Path
) -> None:
    reads: list[dict[str, Any]] = []
    unsub = plant.bus.async_listen(EVENT_PLATE_READ, lambda e: reads.append(dict(e.data)))
    page = await signed_in(browser, plant, Role.GUARD)
    await expect(page.locator("h1")).to_have_text("车道监控")
    await expect(page.locator("#live-indicator")).to_have_text("实时")
    east = page.locator('[data-lane="east_gate_in"]')
    await expect(east.locator(".lane-name")).to_have_text("东门入口车牌相机")
    await expect(east.locator('[data-field="camera"]')).to_have_text("相机在线")

    # The simulated traffic keeps reading plates; the card must show ones read after the page loaded.
    shown = east.locator('[data-field="plate"]')
    async with asyncio.timeout(15):
        while True:
            text = (await shown.text_content() or "").strip()
            if any(r["plate"] == text and r["lane"] == "in" for r in reads):
                break
            await asyncio.sleep(0.1)
    unsub()

    # A doubtful read pushed by a real camera goes to the guard for confirmation.
    pushed = asyncio.ensure_future(
        plant.bus.async_wait_for(EVENT_PLATE_READ, lambda e: e.data["plate"] == "冀B12345", timeout=10)
    )
    await asyncio.sleep(0)
    url = f"http://127.0.0.1:{plant.data['anpr'].push.port}/api/anpr/push/west_gate_main"
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer west-camera-secret-0001"}) as session:
        body = {"plate": "冀B12345", "confidence": 61, "colour": "blue", "direction": "in"}
        async with session.post(url, json=body) as response:
            assert response.status == 200, await response.text()
    west = page.locator('[data-lane="west_gate_main"]')
    await expect(west.locator('[data-field="plate"]')).to_have_text("冀B12345")
    await expect(west.locator('[data-field="colour"]')).to_have_text("蓝牌")
    await expect(west.locator('[data-field="confidence"]')).to_have_text("置信度 61.0 %")
    read_at = (await pushed).data["read_at"]
    read_at = datetime.fromisoformat(read_at) if isinstance(read_at, str) else read_at
    plant_time = read_at.astimezone(plant.clock.tz).strftime("%H:%M:%S")
    await expect(west.locator('[data-field="read-time"]')).to_have_text(plant_time)
    await expect(west.locator(".decision-label")).to_have_text("待人工确认")
    # The confirm dialog offers plate colours by their names, not the alert levels' (both say "yellow").
    await west.locator('[data-action="policy.confirm_read"]').click()
    colour = page.locator('#action-fields select[name="colour"]')
    await expect(colour.locator('option[value="yellow"]')).to_have_text("黄牌")
    await expect(colour.locator("option:checked")).to_have_text("蓝牌")
    await page.click("#action-cancel")

    shot = tmp_path / "lanes.png"
    await page.screenshot(path=shot, full_page=True)
    assert shot.stat().st_size > 10_000

    await page.click("text=English")
    await expect(page.locator("h1")).to_have_text("Lanes")
    await expect(page.locator("nav.nav")).to_contain_text("Passages")
    await expect(west.locator(".decision-label")).to_have_text("Needs confirmation")

    # The doubtful read waits in the review queue, and stays there when the next truck comes.
    waiting = page.locator("#review-list li", has_text="冀B12345")
    await expect(waiting).to_have_count(1)
    async with aiohttp.ClientSession(headers={"Authorization": "Bearer west-camera-secret-0001"}) as session:
        body = {"plate": "冀B54321", "confidence": 97, "colour": "blue", "direction": "in"}
        async with session.post(url, json=body) as response:
            assert response.status == 200, await response.text()
    await expect(west.locator('[data-field="plate"]')).to_have_text("冀B54321")
    await expect(waiting).to_have_count(1)
    # Confirming it from the queue names the vehicle it acts on, and settles it.
    await waiting.locator('[data-action="policy.confirm_read"]').click()
    await expect(page.locator("#action-subtitle")).to_contain_text("冀B12345")
    await page.click("#action-submit")
    await expect(waiting).to_have_count(0)
    assert page.errors == []  # type: ignore[attr-defined]
    await page.context.close()


async def test_inspector_may_look_but_not_act(plant: Hub, browser: Browser) -> None:
    page = await signed_in(browser, plant, Role.INSPECTOR)
    await expect(page.locator('[data-lane="east_gate_in"] .plate')).not_to_have_text("暂无车辆")
    assert await page.locator("[data-action]").count() == 0
    status = await page.evaluate(
        """async () => (await fetch('/api/services/ledger/record_followup', {method: 'POST',
             headers: {'Content-Type': 'application/json'},
             body: JSON.stringify({passage_id: '00000000-0000-0000-0000-000000000000', kind: 'cargo',
                                   data: {cargo: '铁矿石'}})})).status"""
    )
    assert status == 403
    await plant.async_block_till_done()  # the refusal's audit entry is written just after the answer
    await page.goto(f"{ui_url(plant)}/audit?action=ledger.record_followup")
    await expect(page.locator("#audit-table")).to_contain_text("拒绝")
    await page.context.close()

    guard = await signed_in(browser, plant, Role.GUARD)
    await guard.goto(f"{ui_url(plant)}/audit")
    await expect(guard.locator("h1")).to_have_text("无权访问")
    await guard.context.close()


async def test_officer_switches_the_alert_level_and_cannot_say_it_came_from_the_platform(
    plant: Hub, browser: Browser
) -> None:
    page = await signed_in(browser, plant, Role.OFFICER)
    await page.goto(f"{ui_url(plant)}/alert")
    form = page.locator('form[data-service="policy.set_alert_level"]')
    await expect(form.locator('select[name="level"]')).to_be_visible()
    assert await form.locator('[name="source"]').count() == 0
    await form.locator('select[name="level"]').select_option("yellow")
    await form.locator('[name="reason"]').fill("市重污染天气应急指挥部通知")
    await form.locator('button[type="submit"]').click()
    await expect(form.locator(".result")).not_to_be_empty()
    await page.reload()
    await expect(page.locator("#alert-now")).to_have_text("黄色预警")
    await expect(page.locator("#alert-source")).to_have_text("环保专员")
    await plant.services.async_call("policy", "set_alert_level", {"level": "normal"})
    assert page.errors == []  # type: ignore[attr-defined]
    await page.context.close()
