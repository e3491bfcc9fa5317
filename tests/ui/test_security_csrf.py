"""Cross-site requests: what a browser sends by itself (cookie, cached basic auth) counts only from our
own pages; the login form and the live feed check where they are called from; no open redirect."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from hub.core import Event
from hub.core.auth import Role
from hub.core.const import EVENT_SERVICE_CALLED
from tests.ui.conftest import PASSWORDS, add_role_users, ui_url

CONFIG = """\
hub: {name: 跨站测试}
ledger:
vehicles:
ui: {port: 0}
"""
EVIL = "http://evil.example"


@pytest.fixture
async def plain() -> AsyncIterator[aiohttp.ClientSession]:
    """A client that sends only the headers a test gives it (no Origin of its own)."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def sign_in(session: aiohttp.ClientSession, base: str, role: Role) -> None:
    form = {"username": role.value, "password": PASSWORDS[role], "next": "/lanes"}
    async with session.post(
        f"{base}/login", data=form, headers={"Origin": base}, allow_redirects=False
    ) as response:
        assert response.status == 303


async def blacklisted(session: aiohttp.ClientSession, base: str) -> bool:
    async with session.get(f"{base}/vehicles", params={"tab": "blacklist"}) as response:
        assert response.status == 200
        return "冀B66666" in await response.text()


async def test_cookie_posts_need_our_origin_or_referer(make_hub, plain) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    await sign_in(plain, base, Role.OFFICER)
    url = f"{base}/vehicles/lists/blacklist/add"
    form = {"plate": "冀B66666", "colour": "yellow", "reason": "跨站伪造"}
    for headers in ({"Referer": f"{EVIL}/page"}, {}, {"Origin": EVIL, "Referer": f"{base}/vehicles"},
                    {"Origin": "null"}, {"Referer": f"{base}.evil.example/x"}):  # fmt: skip
        async with plain.post(url, data=form, headers=headers, allow_redirects=False) as response:
            assert response.status == 403, headers
            assert (await response.json())["error"] == "cross_origin"
    assert not await blacklisted(plain, base)
    # Our own page: by Origin, or by Referer where a browser sends no Origin.
    async with plain.post(url, data=form, headers={"Referer": f"{base}/vehicles?tab=blacklist"}) as response:
        assert response.status == 200
    assert await blacklisted(plain, base)
    async with plain.post(f"{base}/logout", headers={"Origin": EVIL}, allow_redirects=False) as response:
        assert response.status == 403


async def test_basic_credentials_are_checked_for_origin_too(make_hub, plain) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    backups = []

    def on_call(event: Event) -> None:
        if event.data["service"] == "backup":
            backups.append(event)

    hub.bus.async_listen(EVENT_SERVICE_CALLED, on_call)
    basic = {"Authorization": aiohttp.encode_basic_auth("admin", PASSWORDS[Role.ADMIN])}
    for extra in ({"Origin": EVIL}, {"Referer": f"{EVIL}/"}, {}):
        async with plain.post(
            f"{base}/api/services/ledger/backup", headers=basic | extra, json={}
        ) as response:
            assert response.status == 403, extra
    await hub.async_block_till_done()
    assert backups == []  # refused at the door: the service was never called
    # Reading needs no origin; a bearer token (never sent by a browser on its own) needs none either.
    async with plain.get(f"{base}/api/me", headers=basic) as response:
        assert response.status == 200
    async with plain.post(
        f"{base}/api/services/ledger/query", headers=basic | {"Origin": base}, json={}
    ) as response:
        assert response.status == 200


async def test_login_form_and_live_feed_check_the_origin(make_hub, plain) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    form = {"username": "guard", "password": PASSWORDS[Role.GUARD], "next": "/lanes"}
    for headers in ({"Origin": EVIL}, {"Referer": f"{EVIL}/login"}, {}):
        async with plain.post(f"{base}/login", data=form, headers=headers, allow_redirects=False) as response:
            assert response.status == 403, headers
            assert "Set-Cookie" not in response.headers
    await sign_in(plain, base, Role.GUARD)
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await plain.ws_connect(f"{base}/api/websocket", headers={"Origin": EVIL})
    assert refused.value.status == 403
    async with plain.ws_connect(f"{base}/api/websocket", headers={"Origin": base}) as ws:
        assert (await ws.receive_json(timeout=5))["type"] == "hello"


@pytest.mark.parametrize(
    ("target", "location"),
    [
        ("/\\evil.example", "/"),
        ("//evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("/passages//evil.example", "/"),
        ("https://evil.example/", "/"),
        ("javascript:alert(1)", "/"),
        ("", "/"),
        ("/passages?plate=冀B", "/passages?plate=冀B"),
    ],
)
async def test_after_login_only_a_local_path(make_hub, plain, target: str, location: str) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    async with plain.get(f"{base}/login", params={"next": target}) as response:
        page = await response.text()
    assert f'name="next" value="{location}"' in page.replace("&#39;", "'")
    form = {"username": "guard", "password": PASSWORDS[Role.GUARD], "next": target}
    async with plain.post(
        f"{base}/login", data=form, headers={"Origin": base}, allow_redirects=False
    ) as response:
        assert response.status == 303
        assert response.headers["Location"] == location
