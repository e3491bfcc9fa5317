"""A machinery lane with a tag reader and no plate camera, as the guard sees it on 车道监控.

The card (and the big screen's tile) is named after the lane's barrier (no camera to name it), shows the
reader's state where a camera lane shows its camera's, and shows the vehicle the tag named, with the tag."""

from __future__ import annotations

import asyncio
from typing import Any

from playwright.async_api import expect

from hub.core.auth import Role
from hub.core.const import EVENT_GATE_DECISION
from tests.common import wait_state
from tests.components.policy.test_policy_rfid import MACHINE
from tests.components.policy.test_policy_rfid import MACHINE_TAG as TAG
from tests.ui.conftest import add_role_users, browser_page, ui_url

CONFIG = """\
hub: {name: 电子标签车道}
ledger:
vehicles:
barrier:
  lanes:
    - {gate: yard, lane: in, name: 北门机械通道道闸, port: 0, scan_seconds: 0.05, timeout: 0.3,
       registers: {pulse_seconds: 0.05}, simulator: {travel_seconds: 0.2, auto_close_seconds: 0.3}}
rfid:
  readers:
    - {name: yard_rfid, simulator: true}
policy:
  lanes:
    - {gate: yard, lane: in, rfid: sensor.yard_rfid_tag}
ui: {port: 0}
"""


async def test_a_tag_lane_card_names_the_lane_its_reader_and_the_tagged_vehicle(
    make_hub: Any, browser: Any
) -> None:
    hub = await make_hub(CONFIG)
    assert {"rfid", "vehicles", "policy", "ui", "barrier"} <= set(hub.loaded), hub.setup_errors
    await add_role_users(hub)
    await hub.services.async_call("vehicles", "upsert", {"class": "machinery", "record": MACHINE})

    page = await browser_page(browser, ui_url(hub), Role.GUARD)
    card = page.locator('[data-lane="yard_in"]')
    await expect(card.locator(".lane-name")).to_have_text("北门机械通道道闸")
    await expect(card.locator('[data-field="camera"]')).to_have_text("读写器在线")
    await expect(card.locator('[data-field="plate"]')).to_have_text("暂无车辆")

    decided = asyncio.ensure_future(
        hub.bus.async_wait_for(EVENT_GATE_DECISION, lambda e: e.data["gate"] == "yard", 10)
    )
    await asyncio.sleep(0)
    await hub.data["rfid"].simulators["yard_rfid"].async_present(TAG)
    await wait_state(hub, "sensor.yard_rfid_tag", TAG, timeout=10)
    assert (await decided).data["plate"] == "JA00000042"
    await expect(card.locator('[data-field="plate"]')).to_have_text("JA00000042")
    await expect(card.locator('[data-field="colour"]')).to_have_text(f"电子标签 {TAG}")
    await expect(card.locator('[data-field="direction"]')).to_have_text("入厂")
    await expect(card.locator(".decision-label")).to_have_text("放行")
    # The control room's big screen names the lane and the vehicle the same way.
    screen = await page.context.new_page()
    await screen.goto(f"{ui_url(hub)}/screen")
    tile = screen.locator('.screen-lane[data-lane="yard_in"]')
    await expect(tile.locator(".name")).to_have_text("北门机械通道道闸")
    await expect(tile.locator(".plate")).to_have_text("JA00000042")
    await screen.close()

    # The reader drops off: the card says so, as it would of a camera.
    await hub.data["rfid"].simulators["yard_rfid"].async_stop()
    await wait_state(hub, "sensor.yard_rfid_tag", "unavailable", timeout=15)
    await page.reload()
    await expect(card.locator('[data-field="camera"]')).to_have_text("读写器离线")
    assert page.errors == []
    await page.context.close()
