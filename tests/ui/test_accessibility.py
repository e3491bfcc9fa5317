"""Accessibility basics in Chromium at 1280x800: every text's contrast against what is behind it (WCAG AA:
4.5:1, large text 3:1) computed from the page's own CSS colours, a visible focus ring on what the keyboard
reaches, dialogs worked by keyboard (Enter opens, focus inside, Tab kept inside, Escape closes, focus
back), and no page wider than the screen."""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import urlencode

from playwright.async_api import expect

from hub.core.auth import Role
from tests.ui.conftest import add_role_users, browser_page, ui_url

CONFIG = "hub: {name: 无障碍测试}\nledger:\nvehicles:\nreports: {schedule_enabled: false}\nui: {port: 0}\n"
PAGES = ("/lanes", "/passages", "/vehicles", "/alert", "/reports", "/audit", "/uplink", "/users", "/account",
         "/devices", "/quality", "/screen", "/approvals")  # fmt: skip

# Every text's contrast against what is behind it, computed in the page (WCAG 2's formula).
CONTRAST_JS = (Path(__file__).parent / "contrast.js").read_text(encoding="utf-8")


async def test_text_contrast_focus_and_width_of_the_main_pages(make_hub, browser) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    body = {"passage_id": str(uuid.uuid4()), "gate": "east_gate", "lane": "in", "direction": "in",
            "plate": "冀B20001", "colour": "yellow", "decision": "deny", "reason_code": "stage"}  # fmt: skip
    await hub.services.async_call("ledger", "record_passage", body)
    [row] = (await hub.services.async_call("ledger", "query", {"plate": "冀B20001"}))["items"]
    detail = f"/passages/{row['passage_id']}?" + urlencode({"at": row["recorded_at"], "gate": "east_gate",
                                                             "lane": "in"})  # fmt: skip
    base = ui_url(hub)
    page = await browser_page(browser, base, Role.ADMIN)
    low_contrast: dict[str, list[str]] = {}
    for lang in ("zh-CN", "en"):
        for path in (*PAGES, detail):
            response = await page.goto(f"{base}{path}{'&' if '?' in path else '?'}lang={lang}")
            assert response is not None and response.status == 200, path
            await page.wait_for_load_state("networkidle")
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 1280, f"{path} is {width} px wide at 1280x800"
            if found := await page.evaluate(CONTRAST_JS):
                low_contrast[f"{path}?lang={lang}"] = found
    assert low_contrast == {}
    # The keyboard's place is always visible: a ring on the focused link or button.
    await page.goto(f"{base}/passages")
    for _ in range(3):
        await page.keyboard.press("Tab")
        ring = await page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement); "
            "return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; })()"
        )
        assert ring, await page.evaluate("document.activeElement.outerHTML.slice(0, 80)")
    assert page.errors == []
    await page.context.close()


async def test_a_lane_dialog_works_by_keyboard(make_hub, browser) -> None:
    from tests.components.policy.conftest import config, fire_read, seed

    hub = await make_hub(config() + "ui: {port: 0}\n")
    await add_role_users(hub)
    await seed(hub)
    base = ui_url(hub)
    page = await browser_page(browser, base, Role.GUARD)
    await expect(page.locator("#live-indicator.on")).to_be_visible()  # the feed is up: the read is seen
    await fire_read(hub, "冀B40004")
    opener = page.locator('[data-lane="east_in"] [data-action="policy.correct_plate"]')
    await expect(opener).to_be_visible()
    await opener.focus()
    await page.keyboard.press("Enter")
    dialog = page.locator("#action-dialog")
    await expect(dialog).to_be_visible()
    assert await page.evaluate("document.getElementById('action-dialog').contains(document.activeElement)")
    for _ in range(12):  # Tab goes round inside the dialog, never to the page under it
        await page.keyboard.press("Tab")
        inside = await page.evaluate(
            "document.getElementById('action-dialog').contains(document.activeElement) "
            "|| document.activeElement === document.body"
        )
        assert inside
    await page.keyboard.press("Escape")
    await expect(dialog).to_be_hidden()
    assert await page.evaluate("document.activeElement.dataset.action") == "policy.correct_plate"
    assert page.errors == []
    await page.context.close()
