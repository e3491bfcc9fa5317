"""Users and roles over real HTTP: an administrator adds, resets, disables and unlocks; everyone
changes their own password; nobody else reaches the users page."""

from __future__ import annotations

from hub.core.auth import Role
from tests.ui.conftest import PASSWORDS, add_role_users, browser_like_session, signed_in, ui_url

CONFIG = "hub: {name: 用户测试}\nledger:\nui: {port: 0}\n"


async def can_sign_in(base: str, username: str, password: str) -> bool:
    async with (
        browser_like_session() as session,
        session.post(f"{base}/login", data={"username": username, "password": password}) as response,
    ):
        return response.status == 200


async def test_an_administrator_manages_users_and_a_user_changes_their_own_password(make_hub) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    admin = await signed_in(base, Role.ADMIN)
    guard = await signed_in(base, Role.GUARD)
    try:
        async with guard.get(f"{base}/users") as response:
            assert response.status == 403
        async with guard.post(f"{base}/users/active", data={"username": "admin", "active": "false"}) as r:
            assert r.status == 403
        async with guard.get(f"{base}/lanes") as response:
            assert 'href="/users"' not in await response.text()

        async with admin.get(f"{base}/users") as response:
            page = await response.text()
        assert 'data-user="guard"' in page and "门卫" in page and 'href="/users"' in page

        # A weak password is refused in words; a good one makes a user who can sign in.
        form = {"username": "wanggong", "password": "123456", "roles": ["guard", "officer"]}
        async with admin.post(f"{base}/users/add", data=form) as response:
            assert response.status == 400
            assert 'id="form-error"' in await response.text()
        form["password"] = "Gate-keeper-2026!"
        async with admin.post(f"{base}/users/add", data=form) as response:
            page = await response.text()
        assert "已添加用户 wanggong" in page and 'data-user="wanggong"' in page and "环保专员" in page
        assert hub.auth.by_name("wanggong").roles == {Role.GUARD, Role.OFFICER}
        assert await can_sign_in(base, "wanggong", "Gate-keeper-2026!")

        # Disabled: the account and its open sessions stop at once; enabled again it works.
        wang = await signed_in(base, "wanggong", "Gate-keeper-2026!")
        async with admin.post(f"{base}/users/active", data={"username": "wanggong", "active": "false"}) as r:
            assert "已停用" in await r.text()
        async with wang.get(f"{base}/api/me") as response:
            assert response.status == 401
        await wang.close()
        assert not await can_sign_in(base, "wanggong", "Gate-keeper-2026!")
        async with admin.post(f"{base}/users/active", data={"username": "admin", "active": "false"}) as r:
            assert r.status == 400  # not their own
        async with admin.post(f"{base}/users/active", data={"username": "wanggong", "active": "true"}) as r:
            assert r.status == 200
        async with admin.post(
            f"{base}/users/password", data={"username": "wanggong", "password": "New-gate-pass-77"}
        ) as r:
            assert "已重置 wanggong 的密码" in await r.text()
        assert await can_sign_in(base, "wanggong", "New-gate-pass-77")
        async with admin.post(f"{base}/users/unlock", data={"username": "wanggong"}) as response:
            assert "已解除 wanggong 的登录限制" in await response.text()

        # Everyone changes their own password, knowing the current one.
        async with guard.get(f"{base}/account") as response:
            assert "修改密码" in await response.text()
        wrong = {
            "current_password": "nope-nope",
            "new_password": "Guard-new-2026!",
            "repeat_password": "Guard-new-2026!",
        }
        async with guard.post(f"{base}/account/password", data=wrong) as response:
            assert response.status == 400 and "当前密码不正确" in await response.text()
        right = {**wrong, "current_password": PASSWORDS[Role.GUARD]}
        async with guard.post(f"{base}/account/password", data=right) as response:
            assert "密码已修改" in await response.text()
        assert await can_sign_in(base, "guard", "Guard-new-2026!")
        assert not await can_sign_in(base, "guard", PASSWORDS[Role.GUARD])

        await hub.async_block_till_done()
        audit = await hub.services.async_call("ledger", "audit_query", {"action": "auth."})
        actions = {(i["action"], i["username"]) for i in audit["items"]}
        assert {
            ("auth.add_user", "admin"),
            ("auth.set_active", "admin"),
            ("auth.change_own_password", "guard"),
        } <= actions
        assert "Guard-new-2026!" not in str(audit)
    finally:
        await admin.close()
        await guard.close()
