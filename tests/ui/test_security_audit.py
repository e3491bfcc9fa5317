"""Every call leaves its audit row, whatever its data holds: a lone surrogate cannot hide a call."""

from __future__ import annotations

from hub.core.auth import Role
from tests.ui.conftest import add_role_users, token_for, ui_url

CONFIG = """\
hub: {name: 审计测试}
ledger:
vehicles:
ui: {port: 0}
"""
# JSON text as a hostile client sends it: "\ud800" is a valid JSON escape but no character UTF-8 can hold.
HOSTILE = '{"class": "transport", "key": "\\ud800冀B12345", "\\ud800": {"\\udfff": ["\\ud800", 1]}}'


async def test_a_refused_call_with_a_lone_surrogate_leaves_its_audit_row(make_hub, http) -> None:
    hub = await make_hub(CONFIG)
    users = await add_role_users(hub)
    base = ui_url(hub)
    guard = {"Authorization": "Bearer " + await token_for(http, base, Role.GUARD)}
    inspector = {"Authorization": "Bearer " + await token_for(http, base, Role.INSPECTOR)}
    async with http.post(
        f"{base}/api/services/vehicles/delete",
        data=HOSTILE.encode(), headers=guard | {"Content-Type": "application/json"},
    ) as response:  # fmt: skip
        assert response.status == 403
    # A login attempt under such a name is audited too.
    async with http.post(
        f"{base}/api/auth/token", data=b'{"username": "\\ud800", "password": "x"}',
        headers={"Content-Type": "application/json"},
    ) as response:  # fmt: skip
        assert response.status == 401
    await hub.async_block_till_done()

    async with http.post(
        f"{base}/api/services/ledger/audit_query", headers=inspector,
        json={"action": "vehicles.delete"},
    ) as response:  # fmt: skip
        assert response.status == 200, await response.text()
        items = (await response.json())["result"]["items"]
    assert len(items) == 1
    row = items[0]
    assert row["username"] == "guard" and row["user_id"] == users[Role.GUARD].id
    assert row["action"] == "vehicles.delete" and row["outcome"] == "refused" and row["door"] == "api"
    # What UTF-8 cannot hold is kept as its escape, readable text.
    assert row["target"] == "\\ud800冀B12345"
    assert "\\ud800" in str(row["detail"]) and "\\udfff" in str(row["detail"])

    async with http.post(
        f"{base}/api/services/ledger/audit_query", headers=inspector, json={"action": "login"}
    ) as response:
        logins = (await response.json())["result"]["items"]
    assert any(r["target"] == "\\ud800" and r["outcome"] == "failed" for r in logins)

    async with http.post(f"{base}/api/services/ledger/verify", headers=inspector, json={}) as response:
        assert response.status == 200
        assert (await response.json())["result"]["ok"] is True
