"""A form post the user's roles do not allow answers 403 Forbidden (bad data stays 400)."""

from __future__ import annotations

import aiohttp

from hub.core.auth import Role
from tests.ui.conftest import PASSWORDS, add_role_users, ui_url

CONFIG = """\
hub: {name: 表单权限测试}
ledger:
vehicles:
ui: {port: 0}
"""


async def sign_in(session: aiohttp.ClientSession, base: str, role: Role) -> None:
    form = {"username": role.value, "password": PASSWORDS[role], "next": "/vehicles"}
    async with session.post(f"{base}/login", data=form) as response:
        assert response.status == 200


async def test_forbidden_form_posts_answer_403(make_hub, http) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    await sign_in(http, base, Role.GUARD)  # guards read the register, change nothing
    upload = aiohttp.FormData()
    upload.add_field("file", "车牌号码\n冀B00001\n".encode(), filename="车辆.csv", content_type="text/csv")
    posts = [
        ("/vehicles/lists/blacklist/add", {"plate": "冀B66666", "reason": "越权"}),
        ("/vehicles/lists/pass/add", {"plate": "冀B09999", "reason": "越权", "approver": "门卫"}),
        ("/vehicles/transport/save", {"plate": "冀B00001", "colour": "yellow"}),
        ("/vehicles/transport/冀B00001/delete", {}),
        ("/vehicles/transport/import", upload),
    ]
    for path, data in posts:
        async with http.post(f"{base}{path}", data=data) as response:
            assert response.status == 403, path
            assert "无权" in await response.text()

    # An officer may, and bad data from an officer is still a 400.
    officer = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    async with officer:
        form = {"username": "officer", "password": PASSWORDS[Role.OFFICER], "next": "/vehicles"}
        async with officer.post(f"{base}/login", data=form, headers={"Origin": base}) as response:
            assert response.status == 200
        async with officer.post(
            f"{base}/vehicles/lists/blacklist/add", data={"plate": "冀B66666"}, headers={"Origin": base}
        ) as response:
            assert response.status == 400
