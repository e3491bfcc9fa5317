"""Fixtures for the web HMI tests: a hub with the UI on a free port and one user per role."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from hub.core.auth import Role

PASSWORDS = {role: f"{role.value}-pass-2026" for role in Role}


async def add_role_users(hub: Any) -> dict[Role, Any]:
    """One user per role, named after it (`guard`, `inspector` ...), password PASSWORDS[role]."""
    return {
        role: await hub.auth.async_add_user(role.value, PASSWORDS[role], frozenset({role})) for role in Role
    }


def ui_url(hub: Any) -> str:
    return hub.data["ui"].url


async def token_for(session: aiohttp.ClientSession, base: str, role: Role) -> str:
    async with session.post(
        f"{base}/api/auth/token", json={"username": role.value, "password": PASSWORDS[role]}
    ) as response:
        assert response.status == 200, await response.text()
        return (await response.json())["access_token"]


async def _send_origin_like_a_browser(
    _session: aiohttp.ClientSession, _ctx: object, params: aiohttp.TraceRequestStartParams
) -> None:
    """A browser names the page's origin on every POST from it; the hub refuses cookie posts without."""
    if params.method not in ("GET", "HEAD", "OPTIONS") and "Origin" not in params.headers:
        params.headers["Origin"] = str(params.url.origin())


def browser_like_session() -> aiohttp.ClientSession:
    # unsafe: cookies for 127.0.0.1 (an IP address) are kept too.
    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(_send_origin_like_a_browser)
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), trace_configs=[trace])


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with browser_like_session() as session:
        yield session


async def signed_in(
    base: str, who: Role | str, password: str | None = None, next_page: str = "/lanes"
) -> aiohttp.ClientSession:
    """A browser-like session signed in through the login form (a role's user, or a name and password)."""
    username = who.value if isinstance(who, Role) else who
    session = browser_like_session()
    form = {"username": username, "password": password or PASSWORDS[Role(username)], "next": next_page}
    async with session.post(f"{base}/login", data=form, timeout=aiohttp.ClientTimeout(total=30)) as response:
        assert response.status == 200, await response.text()
    return session


async def browser_page(browser: Any, base: str, role: Role, next_page: str = "/lanes", **context: Any) -> Any:
    """A Chromium page signed in as the role's user, at `next_page`; `page.errors` collects script errors."""
    options = {"viewport": {"width": 1280, "height": 800}, "locale": "zh-CN", **context}
    page = await (await browser.new_context(**options)).new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.errors = errors
    await page.goto(f"{base}{next_page}")
    assert "/login" in page.url  # a page asks who is there first
    await page.fill("input[name=username]", role.value)
    await page.fill("input[name=password]", PASSWORDS[role])
    await page.click("button[type=submit]")
    await page.wait_for_url(f"**{next_page}")
    return page
