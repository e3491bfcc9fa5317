"""The big screen and the widgets: figures from the reports, live within a second of a passage."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.async_api import expect

from hub.core.auth import Role
from tests.components.ledger.conftest import passage
from tests.ui.conftest import PASSWORDS, add_role_users, browser_like_session, browser_page, token_for, ui_url

CONFIG = "hub: {name: 大屏测试钢厂}\nledger:\nreports:\nui: {port: 0}\n"


async def record(hub, n: int, **extra) -> None:
    await hub.services.async_call("ledger", "record_passage", passage(n, **extra))


async def test_the_screen_data_follows_the_ledger_and_needs_a_sign_in(make_hub, http, clock) -> None:
    hub = await make_hub(CONFIG, clock=clock)
    await add_role_users(hub)
    base = ui_url(hub)
    for n in range(3):
        await record(hub, n, decision="deny" if n == 2 else "allow")
    await hub.services.async_call("ledger", "record_passage", passage(9, direction="out", lane="out"))
    async with http.get(f"{base}/api/screen") as response:
        assert response.status == 401
    headers = {"Authorization": f"Bearer {await token_for(http, base, Role.GUARD)}"}
    await hub.async_block_till_done()
    await hub.data["ui"].screen.async_refresh()
    async with http.get(f"{base}/api/screen", headers=headers) as response:
        data = await response.json()
    today = data["today"]
    assert (today["in"], today["out"], today["denied"]) == (3, 1, 1)
    assert today["compliance"] == 0.75 and data["month"]["stage_mix"] == {"5/diesel": 4}
    assert data["clean_transport"]["target"] == 0.8
    # The big screen's own asking is not an audit row per passage; a person's is.
    # The next day: today starts again, the month adds the days before.
    clock.advance(timedelta(days=1))
    await record(hub, 20)
    await record(hub, 21, decision="deny")
    await hub.data["ui"].screen.async_refresh()
    headers = {"Authorization": f"Bearer {await token_for(http, base, Role.GUARD)}"}  # a day-old one expired
    async with http.get(f"{base}/api/screen", headers=headers) as response:
        data = await response.json()
    assert (data["today"]["in"], data["today"]["denied"]) == (2, 1)
    assert (data["month"]["in"], data["month"]["out"], data["month"]["denied"]) == (5, 1, 2)
    assert data["month"]["compliance"] == round(4 / 6, 4)
    audit = await hub.services.async_call("ledger", "audit_query", {"action": "reports."})
    assert not [i for i in audit["items"] if i["action"] in ("reports.statistics", "reports.clean_transport")]
    async with browser_like_session() as guard:
        form = {"username": "guard", "password": PASSWORDS[Role.GUARD]}
        async with guard.post(f"{base}/login", data=form) as response:
            assert response.status == 200
        for name, status in (("counters", 200), ("alert", 200), ("stage_mix", 200), ("nothing", 404)):
            async with guard.get(f"{base}/widgets/{name}", params={"theme": "light"}) as response:
                assert response.status == status, name
        async with guard.get(f"{base}/widgets/counters") as response:
            page = await response.text()
        assert "widget-counters" in page and 'id="today-in"' in page


async def test_the_big_screen_moves_within_a_second_of_a_passage(make_hub, browser, tmp_path: Path) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    for n in range(5):
        await record(hub, n)
    await hub.async_block_till_done()
    screen = {"width": 1920, "height": 1080}
    page = await browser_page(browser, ui_url(hub), Role.INSPECTOR, "/screen", viewport=screen)
    await expect(page.locator("#live-indicator")).to_have_text("实时")
    await expect(page.locator("#today-in")).to_have_text("5")
    await record(hub, 5, decision="deny")
    await expect(page.locator("#today-in")).to_have_text("6", timeout=1500)
    await expect(page.locator("#today-denied")).to_have_text("1")
    assert await page.evaluate("() => Chart.getChart('stage-chart').data.labels") == ["国五 柴油"]
    await page.screenshot(path=tmp_path / "screen.png")
    assert (tmp_path / "screen.png").stat().st_size > 20_000
    assert page.errors == []
    await page.context.close()


async def test_a_kiosk_token_opens_only_its_widgets_and_an_allowed_hmi_embeds_them(
    make_hub, http, browser, tmp_path: Path
) -> None:
    from aiohttp import web

    # The plant's HMI: another origin, whose page embeds our counters widget in an iframe.
    hmi = web.Application()
    frame = {"src": ""}
    hmi.router.add_get("/", lambda _r: web.Response(
        text=f'<!doctype html><h1>WinCC</h1><iframe id="w" src="{frame["src"]}" width="1600" height="400">'
             "</iframe>", content_type="text/html"))  # fmt: skip
    runner = web.AppRunner(hmi)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    hmi_origin = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        hub = await make_hub(
            CONFIG.replace("ui: {port: 0}", f"ui: {{port: 0, frame_ancestors: ['{hmi_origin}']}}")
        )
        await add_role_users(hub)
        base = ui_url(hub)
        for n in range(2):
            await record(hub, n)
        admin = {"Authorization": f"Bearer {await token_for(http, base, Role.ADMIN)}"}
        guard = {"Authorization": f"Bearer {await token_for(http, base, Role.GUARD)}"}
        body = {"name": "wincc_panel", "views": ["counters"]}
        async with http.post(f"{base}/api/services/ui/add_kiosk_token", json=body, headers=guard) as r:
            assert r.status == 403
        async with http.post(f"{base}/api/services/ui/add_kiosk_token", json=body, headers=admin) as r:
            token = (await r.json())["result"]["token"]
        kiosk = {"kiosk": token}
        async with browser_like_session() as anyone:  # no session of its own
            async with anyone.get(f"{base}/widgets/counters", params=kiosk) as response:
                assert response.status == 200
                assert f"frame-ancestors {hmi_origin}" in response.headers["Content-Security-Policy"]
                assert "X-Frame-Options" not in response.headers
            for path in ("/widgets/alert", "/screen", "/lanes", "/passages"):
                async with anyone.get(f"{base}{path}", params=kiosk, allow_redirects=False) as response:
                    assert response.status == 303, path  # not this token's: sign in
            async with anyone.get(f"{base}/api/screen", params=kiosk) as response:
                assert response.status == 200
            async with anyone.post(f"{base}/api/services/ledger/query", params=kiosk, json={}) as response:
                assert response.status == 401
            async with anyone.get(f"{base}/login") as response:  # every other page: never framed
                assert response.headers["X-Frame-Options"] == "DENY"
                assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]

        frame["src"] = f"{base}/widgets/counters?kiosk={token}&theme=light"
        page = await browser.new_page()
        await page.goto(hmi_origin)
        widget = page.frame_locator("#w")
        await expect(widget.locator("#today-in")).to_have_text("2")
        await record(hub, 2)
        await expect(widget.locator("#today-in")).to_have_text("3", timeout=1500)
        await page.screenshot(path=tmp_path / "embedded.png")
        await page.close()

        async with http.post(f"{base}/api/services/ui/revoke_kiosk_token", json={"name": "wincc_panel"},
                             headers=admin) as response:  # fmt: skip
            assert response.status == 200
        async with (
            browser_like_session() as anyone,
            anyone.get(f"{base}/widgets/counters", params=kiosk, allow_redirects=False) as response,
        ):
            assert response.status == 303
        await hub.async_block_till_done()
        audit = await hub.services.async_call("ledger", "audit_query", {"action": "ui."})
        assert {i["action"] for i in audit["items"]} >= {"ui.add_kiosk_token", "ui.revoke_kiosk_token"}
        assert token not in str(audit)
    finally:
        await runner.cleanup()
