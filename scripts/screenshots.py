"""Screenshots of the HMI for docs/: the demo plant on free ports, Debian's Chromium, one picture a view.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--minutes 2]

Runs the demo plant in-process with busy traffic for a while (so the screen has figures), then signs
in as each role and photographs the guard console, the big screen, a widget embedded in another
origin's page (the way WinCC Unified or Ignition shows it), a passage with its photos and the reports.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from aiohttp import web
from playwright.async_api import Page, async_playwright

from hub.core import Hub
from hub.demo import DEMO_USERS, async_ensure_demo_users, render_configuration

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORDS = {name: password for name, password, _ in DEMO_USERS}


async def sign_in(page: Page, base: str, user: str, target: str) -> None:
    await page.goto(f"{base}/login?next={target}")
    await page.fill("input[name=username]", user)
    await page.fill("input[name=password]", PASSWORDS[user])
    await page.click("button[type=submit]")
    await page.wait_for_url(f"**{target}")


async def main(out: Path, minutes: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config_dir = Path(tmp)
        text = render_configuration(60, 11).split("\n", 1)[1]
        for fixed in ("port: 8420", "port: 4840"):
            text = text.replace(fixed, "port: 0")
        embedder = "http://127.0.0.1:8999"
        text = text.replace("ui:\n", f"ui:\n  frame_ancestors: ['{embedder}']\n", 1)
        (config_dir / "configuration.yaml").write_text(text, encoding="utf-8")
        hub = Hub(config_dir)
        await hub.async_start()
        await async_ensure_demo_users(hub)
        try:
            await asyncio.sleep(minutes * 60)  # traffic, decisions, weights
            base = hub.data["ui"].url
            kiosk = await hub.services.async_call("ui", "add_kiosk_token", {"name": "docs", "views": []})
            token = kiosk["token"]
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                page = await browser.new_page(viewport={"width": 1920, "height": 1080}, locale="zh-CN")
                await sign_in(page, base, "guard", "/lanes")
                await page.wait_for_timeout(1500)
                await page.screenshot(path=out / "guard-console.png")
                await sign_in(page, base, "inspector", "/screen")
                await page.wait_for_timeout(2000)
                await page.screenshot(path=out / "big-screen.png")
                await page.goto(f"{base}/passages")
                link = page.locator("a[href^='/passages/']").first
                await link.click()
                await page.wait_for_timeout(1000)
                await page.screenshot(path=out / "passage-photos.png", full_page=True)
                await sign_in(page, base, "officer", "/reports")
                await page.wait_for_timeout(1000)
                await page.screenshot(path=out / "reports.png", full_page=True)
                await page.close()
                await embedded(browser, f"{base}/widgets/counters?kiosk={token}&theme=light", out)
                await browser.close()
        finally:
            await hub.async_stop()


async def embedded(browser: object, src: str, out: Path) -> None:
    """Another origin's HMI page with the counters widget in an iframe."""
    html = (
        "<!doctype html><meta charset=utf-8><body style='font-family:sans-serif;background:#dde3ea;margin:0'>"
        "<div style='background:#1f3b57;color:#fff;padding:12px 20px;font-size:22px'>"
        "WinCC Unified · 原料场控制室</div>"
        f"<iframe src='{src}' style='border:0;width:1880px;height:330px;margin:20px'></iframe></body>"
    )
    app = web.Application()
    app.router.add_get("/", lambda _r: web.Response(text=html, content_type="text/html"))
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 8999).start()
    try:
        page = await browser.new_page(viewport={"width": 1920, "height": 420})  # type: ignore[attr-defined]
        await page.goto("http://127.0.0.1:8999/")
        await page.wait_for_timeout(2500)
        await page.screenshot(path=out / "widget-embedded.png")
        await page.close()
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--minutes", type=float, default=2.0)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(args.out, args.minutes))
