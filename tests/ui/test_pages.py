"""The HMI pages over real HTTP: sign in and out, language, roles, pages whose component is missing."""

from __future__ import annotations

import hashlib
import os
import uuid
from urllib.parse import unquote

from hub.core import Context
from hub.core.auth import Role
from tests.ui.conftest import PASSWORDS, add_role_users, ui_url

CONFIG = """\
hub: {name: 页面测试钢厂}
ledger:
ui: {port: 0}
"""
BARE = """\
hub: {name: 页面测试钢厂}
ui: {port: 0}
"""


async def sign_in(http, base: str, role: Role, next_page: str = "/lanes"):
    form = {"username": role.value, "password": PASSWORDS[role], "next": next_page}
    return await http.post(f"{base}/login", data=form)


async def test_sign_in_language_and_sign_out(make_hub, http) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    async with http.get(f"{base}/passages", allow_redirects=False) as response:
        assert response.status == 303
        assert unquote(response.headers["Location"]) == "/login?next=/passages"
    async with http.post(f"{base}/login", data={"username": "guard", "password": "nope-nope"}) as response:
        assert response.status == 401
        assert "用户名或密码错误" in await response.text()
    async with await sign_in(http, base, Role.GUARD, "/passages") as response:
        assert response.status == 200 and response.url.path == "/passages"
        page = await response.text()
    assert "通行记录查询" in page and "门卫" in page and "页面测试钢厂" in page
    cookie = next(c for c in http.cookie_jar if c.key == "ecogate_session")
    assert cookie["httponly"] and cookie["samesite"] == "Strict"
    # The secret that signs the cookie is kept in the data directory, readable by the hub only.
    secret = hub.data_dir / "ui_session_secret"
    assert secret.is_file() and (os.stat(secret).st_mode & 0o077) == 0

    async with http.get(f"{base}/lanes", params={"lang": "en"}) as response:
        page = await response.text()
    assert "<h1>Lanes</h1>" in page and "Gate guard" in page
    async with http.get(f"{base}/lanes") as response:  # the choice is remembered
        assert "<h1>Lanes</h1>" in await response.text()
    async with http.get(f"{base}/lanes", params={"lang": "zh-CN"}) as response:
        assert "<h1>车道监控</h1>" in await response.text()

    stolen = cookie.value
    async with http.post(f"{base}/logout", allow_redirects=False) as response:
        assert response.status == 303 and response.headers["Location"] == "/login"
    # A session ended by log-out stays ended, even for someone who copied the cookie.
    async with http.get(f"{base}/api/me", headers={"Cookie": f"ecogate_session={stolen}"}) as response:
        assert response.status == 401


async def test_roles_decide_pages_and_cross_site_posts_are_refused(make_hub, http) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    async with await sign_in(http, base, Role.GUARD):
        pass
    async with http.get(f"{base}/audit") as response:
        assert response.status == 403
        assert "您的角色无权访问此页面" in await response.text()
    async with http.get(f"{base}/lanes") as response:
        nav = await response.text()
    assert 'href="/audit"' not in nav and 'href="/passages"' in nav
    evil = {"Origin": "http://evil.example", "Content-Type": "application/json"}
    async with http.post(f"{base}/api/services/ledger/query", data="{}", headers=evil) as response:
        assert response.status == 403 and (await response.json())["error"] == "cross_origin"
    async with http.post(f"{base}/api/services/ledger/query", json={}) as response:
        assert response.status == 200  # the same call from our own page


async def test_passage_search_detail_and_audit_with_the_ledger(make_hub, http) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    passage_id = str(uuid.uuid4())
    await hub.services.async_call("ledger", "record_passage", {
        "passage_id": passage_id, "gate": "east_gate", "lane": "in", "direction": "in", "plate": "冀A12345",
        "colour": "yellow", "vehicle_class": "transport", "vehicle": {"emission_stage": "4", "fuel": "B"},
        "decision": "deny", "reason_code": "stage", "reason_text": "国四柴油货车禁止入厂",
        "images": {"plate": b"\xff\xd8plate\xff\xd9"},
    })  # fmt: skip
    guard = Context(user_id=hub.auth.by_name("guard").id)
    await hub.services.async_call("ledger", "record_followup", {
        "passage_id": passage_id, "kind": "release", "reason": "抢险物资", "data": {"approver": "王工"},
    }, guard)  # fmt: skip
    async with await sign_in(http, base, Role.INSPECTOR):
        pass
    async with http.get(f"{base}/passages", params={"plate": "a123"}) as response:
        page = await response.text()
    assert "冀A12345" in page and "国四柴油货车禁止入厂" in page and "禁止通行" in page
    assert "第 1 / 1 页，共 1 条" in page
    async with http.get(f"{base}/passages", params={"plate": "冀B"}) as response:
        assert "没有符合条件的通行记录" in await response.text()
    async with http.get(f"{base}/passages", params={"start": "yesterday"}) as response:
        assert "输入有误" in await response.text()

    link = page.split('href="/passages/')[1].split('"')[0].replace("&amp;", "&")
    async with http.get(f"{base}/passages/{link}") as response:
        detail = await response.text()
    assert passage_id in detail and "国四柴油货车禁止入厂" in detail
    # Codes by their names; the follow-up as a sentence, signed with the guard's name, not an id.
    assert 'id="passage-stage">国四 (4)<' in detail and 'id="passage-fuel">柴油 (B)<' in detail
    followups = detail.split('id="followups"')[1].split("</table>")[0]
    assert "<td>guard</td>" in followups and "特批放行，审批人 王工，原因 抢险物资" in followups
    assert hub.auth.by_name("guard").id not in followups
    # The photo the ledger holds is shown; a hash it does not hold is a clear 404.
    plate_photo = b"\xff\xd8plate\xff\xd9"
    sha = hashlib.sha256(plate_photo).hexdigest()
    assert f'src="/api/evidence/{sha}"' in detail
    async with http.get(f"{base}/api/evidence/{sha}") as response:
        assert response.status == 200 and response.content_type == "image/jpeg"
        assert await response.read() == plate_photo
    async with http.get(f"{base}/api/evidence/{'ab' * 32}") as response:
        assert response.status == 404 and "missing" in (await response.json())["message"]
    async with http.get(f"{base}/passages/{uuid.uuid4()}") as response:
        assert response.status == 404

    await hub.async_block_till_done()
    async with http.get(f"{base}/audit", params={"action": "login"}) as response:
        audit = await response.text()
    assert "inspector" in audit and "网页" in audit


async def test_pages_without_their_components_say_so(make_hub, http) -> None:
    hub = await make_hub(BARE)
    await add_role_users(hub)
    base = ui_url(hub)
    async with await sign_in(http, base, Role.OFFICER):
        pass
    expected = {
        "/lanes": "车道监控",
        "/passages": "该功能所需的组件未配置（ledger.query）",
        "/audit": "该功能所需的组件未配置（ledger.audit_query）",
        "/alert": "准入策略组件未配置",
        "/vehicles": "车辆台账组件未配置",
        "/uplink": "监管平台上传组件未配置",
    }
    for path, text in expected.items():
        async with http.get(f"{base}{path}") as response:
            assert response.status == 200, path
            assert text in await response.text(), path
    async with http.get(f"{base}/api/lanes") as response:
        assert (await response.json()) == {"lanes": [], "alert_level": None}


async def test_the_alert_page_shows_a_scheduled_alert_in_words_and_it_can_be_cancelled(
    make_hub, http, clock
) -> None:
    from datetime import timedelta

    hub = await make_hub("hub: {name: 页面测试钢厂}\nledger:\npolicy:\nui: {port: 0}\n", clock=clock)
    await add_role_users(hub)
    base = ui_url(hub)
    async with await sign_in(http, base, Role.OFFICER, "/alert") as response:
        assert response.status == 200
    start = (clock.now() + timedelta(hours=2)).isoformat()
    data = {"level": "orange", "start": start, "reason": "市指挥部预报"}
    async with http.post(f"{base}/api/services/policy/set_alert_level", json=data) as response:
        assert response.status == 200, await response.text()
    async with http.get(f"{base}/alert") as response:
        page = await response.text()
    assert 'id="alert-scheduled"' in page and "橙色预警" in page and "市指挥部预报" in page
    assert 'id="alert-source">默认<' in page and "level_label" not in page  # words, not attribute keys
    async with http.post(f"{base}/api/services/policy/cancel_scheduled_alert", json={}) as response:
        assert response.status == 200, await response.text()
    async with http.get(f"{base}/alert") as response:
        assert 'id="alert-scheduled"' not in await response.text()


async def test_a_form_no_browser_would_send_gets_its_page_in_words_not_a_500(make_hub, http) -> None:
    hub = await make_hub(CONFIG.replace("ledger:\n", "ledger:\nautomation:\n"))
    await add_role_users(hub)
    base = ui_url(hub)
    unknown = {"Content-Type": "application/x-www-form-urlencoded; charset=no-such-charset"}
    async with http.post(f"{base}/login", data=b"username=a&password=b", headers=unknown) as response:
        assert response.status == 400 and "无法读取提交的表单" in await response.text()
    async with await sign_in(http, base, Role.ADMIN) as response:
        assert response.status == 200
    for path, title in (("/users/active", "用户与角色"), ("/automations/reload", "自动化")):
        async with http.post(f"{base}{path}", data=b"x=1", headers={**unknown, "Origin": base}) as response:
            text = await response.text()
            assert response.status == 415 and f"<title>{title}" in text and "无法读取提交的表单" in text, path
