"""What a walk through the console found, in both languages: the audit log's details as `key: value`
pairs (not a Python dict), a register record's history as field names and values (not
`emission_stage: [None, '6']`), plant time without offsets, the devices page in words, an automation's
runs under its name, roles listed the English way on an English page."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from types import SimpleNamespace
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
from playwright.async_api import expect

from hub.core import ManualClock
from hub.core.auth import Role
from hub.ui.airquality_page import anomaly_text, unit_names
from hub.ui.i18n import Catalogues
from hub.ui.plain import pairs_text, plant_time, times_in_text
from tests.components.vehicles.conftest import transport
from tests.ui.conftest import add_role_users, browser_page, signed_in, ui_url

TZ = ZoneInfo("Asia/Shanghai")
TIMEOUT = aiohttp.ClientTimeout(total=30)
CJK = re.compile(r"[\u4e00-\u9fff]")


async def page(session: aiohttp.ClientSession, url: str, **params: str) -> str:
    async with session.get(url, params=params, timeout=TIMEOUT) as response:
        assert response.status == 200, await response.text()
        return await response.text()


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace(" :", ":")


def part(html: str, pattern: str) -> str:
    found = re.search(pattern, html, re.S)
    assert found, pattern
    return text_of(found.group(1))


def test_values_read_as_plant_time_and_pairs() -> None:
    assert plant_time("2026-12-03T06:58:49.052057+08:00", TZ) == "2026-12-03 06:58:49"
    assert plant_time("2026-12-03T22:58:49Z", TZ) == "2026-12-04 06:58:49"
    assert plant_time("2026-11-28T00:00:00", TZ) == "2026-11-28 00:00:00"
    assert plant_time("east_gate", TZ) == "east_gate" and plant_time(None, TZ) == ""
    assert (
        pairs_text({"limit": 100, "open_only": False, "x": None}, TZ)
        == "limit: 100, open_only: false, x: null"
    )
    assert pairs_text({"plates": ["冀B1"], "at": "2026-12-03T06:58:49.05+08:00"}, TZ) == (
        'plates: ["冀B1"], at: 2026-12-03 06:58:49'
    )


def test_moments_in_a_sentence_read_in_plant_time() -> None:
    text = "鲁TPHQ5B 2026-12-04T07:11:38+08:00 缺少车牌特写照片 no plate photo"
    assert times_in_text(text, TZ) == "鲁TPHQ5B 2026-12-04 07:11:38 缺少车牌特写照片 no plate photo"
    assert times_in_text("出厂 2026-12-03T23:11:38.5Z 早于入厂", TZ) == "出厂 2026-12-04 07:11:38 早于入厂"


def test_a_long_detail_is_cut_to_fit_a_table_cell() -> None:
    text = pairs_text({"records": [{"plate": f"冀B{n:05d}"} for n in range(1000)]}, TZ)
    assert len(text) == 300 and text.endswith("…")


def test_anomalies_read_in_the_page_language() -> None:
    catalogues = Catalogues("zh-CN")
    zh, en = catalogues.translator("zh-CN"), catalogues.translator("en")
    exceedance = {
        "rule": "remote_sensing_exceedance", "subject": "冀EB5U34",
        "summary": "冀EB5U34 尾气遥感超标 HC 356 > 250 ppm",
        "detail": {"plate": "冀EB5U34", "exceeded": {"hc_ppm": {"value": 356.0, "limit": 250.0}}},
    }  # fmt: skip
    assert anomaly_text(en, exceedance) == "冀EB5U34 over the remote-sensing limits: HC 356 > 250 ppm"
    assert anomaly_text(zh, exceedance) == "冀EB5U34 尾气遥感超标 HC 356 > 250 ppm"
    flat = {
        "rule": "station_flat", "subject": "fence_east/pm25",
        "summary": "微站 fence_east pm25 连续 6 次为 80",
        "detail": {"station": "fence_east", "factor": "pm25", "value": 80.0, "readings": 6},
    }  # fmt: skip
    assert anomaly_text(en, flat) == "Station fence_east: pm25 at 80 for 6 readings"
    assert anomaly_text(zh, flat) == flat["summary"]
    odd = {"rule": "station_flat", "summary": "微站 x 数据恒定", "detail": {}}  # an older row's detail
    assert anomaly_text(en, odd) == "微站 x 数据恒定"


def test_remote_sensing_units_are_named_from_their_sensors() -> None:
    states = [
        SimpleNamespace(entity_id="sensor.rs_east_road_plate", attributes={"unit": "东门尾气遥感"}),
        SimpleNamespace(entity_id="sensor.rs_east_road_no_ppm", attributes={"unit": "东门尾气遥感"}),
        SimpleNamespace(entity_id="sensor.aq_fence_east_pm25", attributes={"station": "东厂界微站"}),
    ]
    assert unit_names(states) == {"east_road": "东门尾气遥感"}


async def test_audit_details_read_as_pairs_in_plant_time(make_hub) -> None:
    clock = ManualClock(datetime(2026, 10, 5, 9, 0, tzinfo=TZ))
    hub = await make_hub(
        "hub: {name: 审计}\nledger:\nquality: {check_seconds: 3600}\nui: {port: 0}\n", clock=clock
    )
    await add_role_users(hub)
    base = ui_url(hub)
    officer = await signed_in(base, Role.OFFICER)
    admin = await signed_in(base, Role.ADMIN)
    try:
        await page(officer, f"{base}/quality")  # audited: quality.findings with with_records true
        for lang in ("zh-CN", "en"):
            html = await page(admin, f"{base}/audit", action="quality.findings", lang=lang)
            table = part(html, r'id="audit-table">(.*?)</table>')
            assert "with_records: true" in table and "status: open" in table, table
            assert "{'" not in table and "True" not in table and "+08:00" not in table, table
            assert "2026-10-05 09:00:00" in table
    finally:
        await officer.close()
        await admin.close()


async def test_a_findings_summary_shows_plant_time(make_hub) -> None:
    clock = ManualClock(datetime(2026, 10, 5, 9, 0, tzinfo=TZ))
    hub = await make_hub(
        "hub: {name: 质量}\nledger:\nquality: {check_seconds: 3600}\nui: {port: 0}\n", clock=clock
    )
    await add_role_users(hub)
    exit_only = {
        "passage_id": str(uuid.uuid4()), "gate": "east_gate", "lane": "out", "direction": "out",
        "plate": "冀B12345", "vehicle_class": "transport", "decision": "allow",
    }  # fmt: skip
    await hub.services.async_call("ledger", "record_passage", exit_only)
    await hub.services.async_call("quality", "run", {"date": "2026-10-05"})
    base = ui_url(hub)
    officer = await signed_in(base, Role.OFFICER)
    try:
        html = await page(officer, f"{base}/quality", rule="exit_without_entry")
        cells = part(html, r'<tr data-finding="\d+">(.*?)</tr>')
        assert "出厂 2026-10-05 09:00:00 无入厂记录" in cells, cells
        assert "T09:00" not in cells and "+08:00" not in cells
    finally:
        await officer.close()


async def test_register_history_reads_as_field_names_and_values(make_hub) -> None:
    hub = await make_hub("hub: {name: 台账历史}\nledger:\nvehicles:\nui: {port: 0}\n")
    await add_role_users(hub)
    await hub.services.async_call(
        "vehicles", "import", {"class": "transport", "records": [transport(3, emission_stage="5")]}
    )
    await hub.services.async_call("vehicles", "upsert", {"class": "transport", "record": transport(3)})
    base = ui_url(hub)
    officer = await signed_in(base, Role.OFFICER)
    try:
        html = await page(officer, f"{base}/vehicles/transport/冀B00003")
        history = part(html, r'id="history">(.*?)</table>')
        assert "排放阶段: 国五 → 国六" in history, history
        assert "燃料类型: 柴油" in history and "联网状态: 是" in history, history
        assert "批量导入 第 1 行" in history and "vehicles.upsert 第 1 行" in history, history
        assert "[None" not in history and "emission_stage" not in history and "+08:00" not in history

        html = await page(officer, f"{base}/vehicles/transport/冀B00003", lang="en")
        history = part(html, r'id="history">(.*?)</table>')
        assert "Emission stage: China V → China VI" in history and "Fuel: Diesel" in history, history
        assert "import row 1" in history and "Networked: Yes" in history, history
        assert not CJK.search(
            history.replace("重型半挂牵引车", "")
            .replace("解放牌CA4250", "")
            .replace("唐山顺达物流有限公司", "")
            .replace("货运", "")
            .replace("冀B00003", "")
        ), history

        html = await page(officer, f"{base}/vehicle/冀B00003", lang="zh-CN")
        history = part(html, r'id="vehicle-history">(.*?)</table>')
        assert "新增" in history and "修改" in history and "排放阶段" in history and "车辆识别代号" in history
        assert "created" not in history and "kerb_mass_kg" not in history and "+08:00" not in history
        html = await page(officer, f"{base}/vehicle/冀B00003", lang="en")
        history = part(html, r'id="vehicle-history">(.*?)</table>')
        assert "created" in history and "Emission stage" in history and "Kerb mass (kg)" in history, history
        assert not CJK.search(history), history
    finally:
        await officer.close()


async def test_a_record_forms_refusals_read_beside_their_fields_in_the_page_language(make_hub) -> None:
    hub = await make_hub("hub: {name: 台账表单}\nledger:\nvehicles:\nui: {port: 0}\n")
    await add_role_users(hub)
    base = ui_url(hub)
    officer = await signed_in(base, Role.OFFICER)
    try:
        for lang, required in (("zh-CN", "必填"), ("en", "Required")):
            form = {**{k: str(v) for k, v in transport(5).items()}, "colour": "", "fuel": "煤"}
            async with officer.post(
                f"{base}/vehicles/transport/save", data=form, params={"lang": lang}, timeout=TIMEOUT
            ) as response:
                html = await response.text()
            assert response.status == 400
            assert part(html, r'data-field="colour">(.*?)</span>') == required
            assert "unknown" not in part(html, r'data-field="fuel">(.*?)</span>')
    finally:
        await officer.close()


async def test_passes_show_plant_time_and_who_entered_them(make_hub) -> None:
    clock = ManualClock(datetime(2026, 10, 5, 9, 0, tzinfo=TZ))
    hub = await make_hub("hub: {name: 通行证}\nledger:\nvehicles:\nui: {port: 0}\n", clock=clock)
    await add_role_users(hub)
    until = datetime(2026, 10, 9, 18, 0, tzinfo=TZ)
    await hub.services.async_call(
        "vehicles", "pass_add", {"plate": "冀B88888", "valid_until": until, "reason": "临时施工"}
    )
    base = ui_url(hub)
    officer = await signed_in(base, Role.OFFICER)
    try:
        table = part(await page(officer, f"{base}/vehicles", tab="pass"), r'id="pass-table">(.*?)</table>')
        assert "手工录入" in table and "2026-10-09 18:00:00" in table, table
        assert "manual" not in table and "+08:00" not in table and "T18" not in table, table
        html = await page(officer, f"{base}/vehicles", tab="pass", lang="en")
        assert "entered by hand" in part(html, r'id="pass-table">(.*?)</table>')
    finally:
        await officer.close()


async def test_devices_page_names_the_plant_services_in_the_page_language(make_hub) -> None:
    hub = await make_hub(
        "hub: {name: 设备}\nledger:\npolicy:\nquality: {check_seconds: 3600}\nui: {port: 0}\n"
    )
    await add_role_users(hub)
    base = ui_url(hub)
    engineer = await signed_in(base, Role.ENGINEER)
    try:
        table = part(await page(engineer, f"{base}/devices"), r'id="devices-table">(.*?)</table>')
        assert "准入策略" in table and "数据质量检查" in table and "电子台账" in table, table
        assert "select.plant_alert_level: 无预警" in table and "sensor.quality_open_findings: 0 条" in table
        for english in ("Admission policy", "Data quality", "Ledger", "0 findings", ": normal", " policy "):
            assert english not in table, (english, table)
        table = part(await page(engineer, f"{base}/devices", lang="en"), r'id="devices-table">(.*?)</table>')
        assert "Admission policy" in table and "Data-quality checks" in table and "Ledger" in table, table
        assert "select.plant_alert_level: No alert" in table and "0 findings" in table, table
        assert not CJK.search(table), table
    finally:
        await engineer.close()


AUTOMATION = """\
hub: {name: 自动化}
automation:
  - id: night_note
    alias: 夜间提示
    triggers: [{trigger: event, event_type: tour_test}]
    actions: [{event: tour_done}]
ui: {port: 0}
"""


async def test_an_automations_runs_are_headed_by_its_name_and_roles_listed_per_language(make_hub) -> None:
    hub = await make_hub(AUTOMATION)
    await add_role_users(hub)
    await hub.auth.async_add_user("scada", "scada-pass-2026", frozenset({Role.GUARD, Role.OFFICER}))
    base = ui_url(hub)
    admin = await signed_in(base, Role.ADMIN)
    try:
        html = await page(admin, f"{base}/automations/automation.night_note/traces")
        assert part(html, r"<h1>(.*?)</h1>").strip() == "运行记录 · 夜间提示"
        html = await page(admin, f"{base}/users", lang="en")
        row = part(html, r'<tr data-user="scada"[^>]*>(.*?)</tr>')
        assert "Gate guard, Environmental officer" in row or "Environmental officer, Gate guard" in row, row
        assert "、" not in row
        scada = await signed_in(base, "scada", "scada-pass-2026")
        try:
            account = part(
                await page(scada, f"{base}/account", lang="en"), r'id="account-link"[^>]*>(.*?)</a>'
            )
            assert account.strip() in (
                "scada · Gate guard, Environmental officer",
                "scada · Environmental officer, Gate guard",
            )
        finally:
            await scada.close()
    finally:
        await admin.close()


async def form_error(session: aiohttp.ClientSession, url: str, data: dict, lang: str) -> str:
    async with session.post(url, data=data, params={"lang": lang}, timeout=TIMEOUT) as response:
        assert response.status == 400
        return part(await response.text(), r'id="form-error">(.*?)</div>')


async def test_account_refusals_read_in_the_page_language(make_hub) -> None:
    hub = await make_hub("hub: {name: 账号}\nui: {port: 0}\n")
    await add_role_users(hub)
    base = ui_url(hub)
    admin = await signed_in(base, Role.ADMIN)
    try:
        short = {"username": "guard", "password": "short"}
        assert await form_error(admin, f"{base}/users/password", short, "zh-CN") == "密码至少需要 8 个字符"
        assert await form_error(admin, f"{base}/users/password", short, "en") == (
            "The password needs at least 8 characters"
        )
        add = {"username": "gate2", "password": "gate2-pass-2026"}
        assert (
            await form_error(admin, f"{base}/users/add", add, "zh-CN")
            == "输入有误，请检查： 角色: 请至少选择一个角色"
        )
        own = {
            "current_password": "wrong-pass-2026",
            "new_password": "Next-pass-2026",
            "repeat_password": "Next-pass-2026",
        }
        assert (
            await form_error(admin, f"{base}/account/password", own, "en")
            == "The current password is not right"
        )
        assert await form_error(admin, f"{base}/account/password", own, "zh-CN") == "当前密码不正确"
    finally:
        await admin.close()


async def test_the_login_page_marks_the_language_it_speaks(make_hub, http) -> None:
    hub = await make_hub("hub: {name: 登录}\nui: {port: 0}\n")
    async with http.get(f"{ui_url(hub)}/login", params={"lang": "en"}) as response:
        langs = re.search(r'<p class="langs center">(.*?)</p>', await response.text(), re.S).group(1)
    assert (
        'class="active" lang="en" aria-current="true">English' in langs and 'class="" lang="zh-CN"' in langs
    )


RELEASE = "hub: {name: 审批}\nledger:\nui:\n  port: 0\n  release:\n    - {gate: east, release: two_step}\n"


async def test_the_approvals_page_says_when_nothing_was_answered(make_hub, browser) -> None:
    hub = await make_hub(RELEASE)
    await add_role_users(hub)
    page_ = await browser_page(browser, ui_url(hub), Role.OFFICER, "/approvals")
    await expect(page_.locator("#approvals-empty")).to_have_text("没有待审批的申请")
    await expect(page_.locator("#approvals-answered-empty")).to_have_text("暂无已处理的申请")
    await expect(page_.locator("#approvals-answered-empty")).to_be_visible()
    assert page_.errors == []


async def test_the_automations_page_fits_a_phone(make_hub, browser) -> None:
    hub = await make_hub(AUTOMATION.replace("夜间提示", "超重提示 overweight shown on the lane's display"))
    await add_role_users(hub)
    await hub.services.async_call("automation", "trigger", {"entity_id": "automation.night_note"})
    await hub.async_block_till_done()
    phone = {"viewport": {"width": 360, "height": 740}, "is_mobile": True}
    page_ = await browser_page(browser, ui_url(hub), Role.ENGINEER, "/automations", **phone)
    await expect(page_.locator("#automations-table")).to_be_visible()
    # The table scrolls in its box; the page itself does not run off the screen.
    assert await page_.evaluate("document.documentElement.scrollWidth") <= 360
    assert page_.errors == []


async def test_the_vehicle_page_words_a_reason_and_its_trips_for_an_english_reader(make_hub, browser) -> None:
    hub = await make_hub("hub: {name: 车辆}\nledger:\nvehicles:\nui: {port: 0}\n")
    await add_role_users(hub)
    entry = {
        "passage_id": str(uuid.uuid4()), "gate": "east_gate", "lane": "in", "direction": "in",
        "plate": "冀B12345", "vehicle_class": "transport", "decision": "allow", "reason_code": "allowed",
        "reason_text": "国六柴油货车，准予入厂", "vehicle": {"emission_stage": "6", "fuel": "B"},
    }  # fmt: skip
    await hub.services.async_call("ledger", "record_passage", entry)
    page_ = await browser_page(browser, ui_url(hub), Role.OFFICER, "/passages")
    await page_.goto(f"{ui_url(hub)}/vehicle/{quote('冀B12345')}?lang=en")
    reason = page_.locator("#vehicle-passages td[data-reason]")
    await expect(reason).not_to_have_text(CJK)
    await expect(reason).not_to_have_text("")
    await expect(page_.locator("#vehicle-trips thead th").first).to_have_text("Entry")
    assert page_.errors == []
