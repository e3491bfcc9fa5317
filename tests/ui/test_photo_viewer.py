"""The photo viewer of a passage in headless Chromium: plate close-up and scene side by side with their
SHA-256, each checked in the browser against the ledger row (an altered file is marked), a click
enlarges a photo, and the previous and next passage of the same vehicle are one click away."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from playwright.async_api import expect

from hub.core import ManualClock
from hub.core.auth import Role
from tests.ui.conftest import add_role_users, browser_page, ui_url

TZ = ZoneInfo("Asia/Shanghai")
# The smallest valid JPEG would do; the browser shows whatever bytes the hub sends.
JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")


def detail_url(base: str, row: dict) -> str:
    query = urlencode({"at": row["recorded_at"], "gate": row["gate"], "lane": row["lane"]})
    return f"{base}/passages/{row['passage_id']}?{query}"


async def test_photo_viewer_checks_zooms_and_walks_the_vehicles_passages(make_hub, browser) -> None:
    clock = ManualClock(datetime(2026, 11, 24, 8, 0, tzinfo=TZ))
    hub = await make_hub("hub: {name: 照片测试}\nledger:\nui: {port: 0}\n", clock=clock)
    await add_role_users(hub)
    rows = []
    for n, direction in enumerate(("in", "out", "in")):
        clock.set(datetime(2026, 11, 24, 8, 0, tzinfo=TZ) + timedelta(hours=n))
        body = {
            "passage_id": str(uuid.uuid4()), "gate": "east_gate", "lane": direction, "direction": direction,
            "plate": "冀B20001", "colour": "yellow", "vehicle_class": "transport", "decision": "allow",
            "images": {"plate": JPEG + f"plate-{n}".encode(), "scene": JPEG + f"scene-{n}".encode()},
        }  # fmt: skip
        await hub.services.async_call("ledger", "record_passage", body)
    result = await hub.services.async_call("ledger", "query", {"plate": "冀B20001", "sort": "recorded_at"})
    rows = result["items"]
    assert len(rows) == 3
    # Someone alters the scene photo of the middle passage on disk.
    sha = rows[1]["photo_scene"]
    (hub.data_dir / "evidence" / sha[:2] / sha[2:4] / f"{sha}.jpg").write_bytes(JPEG + b"swapped")

    base = ui_url(hub)
    page = await browser_page(browser, base, Role.INSPECTOR)
    errors = page.errors

    await page.goto(detail_url(base, rows[1]))
    viewer = page.locator("#photo-viewer")
    plate_fig, scene_fig = viewer.locator('[data-kind="plate"]'), viewer.locator('[data-kind="scene"]')
    await expect(plate_fig.locator(".hash")).to_have_text(f"SHA-256 {rows[1]['photo_plate']}")
    await expect(plate_fig.locator(".check")).to_have_text("✓ 已校验：SHA-256 与台账一致", timeout=10_000)
    await expect(scene_fig.locator(".check")).to_have_text("✗ 校验未通过：照片缺失或已被改动", timeout=10_000)
    # Side by side at 1280 wide: the scene starts right of the plate close-up.
    plate_box, scene_box = await plate_fig.bounding_box(), await scene_fig.bounding_box()
    assert plate_box and scene_box and scene_box["x"] > plate_box["x"] + plate_box["width"] - 1

    # Click to enlarge; Escape closes (keyboard).
    await plate_fig.locator("button.zoom").click()
    dialog = page.locator("#zoom-dialog")
    await expect(dialog).to_be_visible()
    assert (await page.locator("#zoom-image").get_attribute("src")).endswith(rows[1]["photo_plate"])
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()

    # Previous and next passage of the same vehicle.
    await page.click("#previous-passage")
    await page.wait_for_url(f"**/passages/{rows[0]['passage_id']}**")
    await expect(page.locator('#photo-viewer [data-kind="scene"] .check')).to_have_text(
        "✓ 已校验：SHA-256 与台账一致", timeout=10_000
    )
    await expect(page.locator("#previous-passage")).to_be_hidden()
    await page.click("#next-passage")
    await page.wait_for_url(f"**/passages/{rows[1]['passage_id']}**")
    await page.click("#next-passage")
    await page.wait_for_url(f"**/passages/{rows[2]['passage_id']}**")
    await expect(page.locator("#previous-passage")).to_be_visible()
    await expect(page.locator("#next-passage")).to_be_hidden()
    assert errors == []
    await page.context.close()


async def test_saved_searches_stay_in_the_browser_per_user(make_hub, browser) -> None:
    hub = await make_hub("hub: {name: 查询测试}\nledger:\nui: {port: 0}\n")
    await add_role_users(hub)
    base = ui_url(hub)
    page = await browser_page(browser, base, Role.GUARD)
    errors = page.errors
    await page.goto(f"{base}/passages?plate=冀B&decision=deny&page=2")
    page.once("dialog", lambda dialog: dialog.accept("冀B 被拒"))
    await page.click("#save-search")
    saved = page.locator("#saved-list .saved-search a")
    await expect(saved).to_have_text("冀B 被拒")
    await page.goto(f"{base}/passages")
    await page.locator("#saved-list .saved-search a").click()
    await page.wait_for_url("**/passages?plate=*")
    assert "decision=deny" in page.url and "page=" not in page.url
    await expect(page.locator('select[name="decision"]')).to_have_value("deny")
    await page.locator("#saved-list .saved-search button").click()
    await expect(page.locator("#saved-list")).to_have_text("无")
    assert errors == []
    await page.context.close()
