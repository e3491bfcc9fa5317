"""The console's purpose-made pages over real HTTP, as the people who use them: data quality (/quality),
upload status (/uplink), devices (/devices) and the vehicle page (/vehicle/<plate>)."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest

from hub.core import ManualClock
from hub.core.auth import Role
from tests.common import wait_state
from tests.components.uplink.conftest import (  # noqa: F401  (start_sim: a fixture)
    passage,
    record,
    start_sim,
    uplink_yaml,
)
from tests.ui.conftest import add_role_users, signed_in, ui_url

TZ = ZoneInfo("Asia/Shanghai")
TIMEOUT = aiohttp.ClientTimeout(total=30)
BARRIER = """\
barrier:
  lanes:
    - {gate: east, lane: in, port: 0, scan_seconds: 0.05, timeout: 0.3,
       registers: {pulse_seconds: 0.05}, simulator: {travel_seconds: 0.2, auto_close_seconds: 0.3}}
"""
QUALITY = "hub: {name: 质量页面}\nledger:\nquality: {check_seconds: 3600}\nui: {port: 0}\n"


@pytest.fixture
async def sim(start_sim: Any) -> Any:  # noqa: F811  (the uplink tests' platform simulator)
    return await start_sim()


async def page(session: aiohttp.ClientSession, url: str, **params: str) -> tuple[int, str]:
    async with session.get(url, params=params, timeout=TIMEOUT) as response:
        return response.status, await response.text()


def text_of(html: str) -> str:
    """The page's visible words, roughly: tags out, spaces folded."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_quality_page_lists_findings_and_an_officer_acknowledges_one(make_hub) -> None:
    clock = ManualClock(datetime(2026, 10, 5, 9, 0, tzinfo=TZ))
    hub = await make_hub(QUALITY, clock=clock)
    await add_role_users(hub)
    exit_only = {
        "passage_id": str(uuid.uuid4()), "gate": "east_gate", "lane": "out", "direction": "out",
        "plate": "冀B12345", "vehicle_class": "transport", "decision": "allow",
    }  # fmt: skip
    await hub.services.async_call("ledger", "record_passage", exit_only)
    clock.set(datetime(2026, 10, 6, 9, 0, tzinfo=TZ))
    base = ui_url(hub)
    officer, inspector, guard = [await signed_in(base, r) for r in (Role.OFFICER, Role.INSPECTOR, Role.GUARD)]
    try:
        # The officer runs yesterday's check from the page and sees the findings by rule, in Chinese.
        async with officer.post(f"{base}/quality/run", data={"date": "2026-10-05"}, timeout=TIMEOUT) as r:
            assert r.status == 200 and r.url.path == "/quality"
            shown = text_of(await r.text())
        assert "检查已完成" in shown and "有出无进" in shown and "缺少抓拍照片" in shown and "警告" in shown
        status_, html = await page(officer, f"{base}/quality", rule="exit_without_entry")
        assert status_ == 200
        (row,) = re.findall(r'<tr data-finding="(\d+)">(.*?)</tr>', html, re.S)
        finding_id, cells = row
        assert "冀B12345" in cells and "未处理" in cells
        # The record involved links to the passage search at the second it was recorded, on its lane.
        link = re.search(r'class="record-link nowrap" href="([^"]+)"', cells).group(1).replace("&amp;", "&")
        status_, found = await page(officer, base + link)
        assert status_ == 200 and "冀B12345" in found and "passages-table" in found

        # An inspector reads but cannot acknowledge: no form, and a forged post is refused.
        status_, html = await page(inspector, f"{base}/quality", rule="exit_without_entry")
        assert status_ == 200 and "冀B12345" in html and "ack-form" not in html
        ack = f"{base}/quality/{finding_id}/acknowledge"
        async with inspector.post(ack, data={"note": "看过"}, timeout=TIMEOUT) as r:
            assert r.status == 403 and "无权" in await r.text()
        # A guard may not open the page at all, nor find it in the menu.
        status_, html = await page(guard, f"{base}/quality")
        assert status_ == 403 and 'href="/quality"' not in html

        # An empty note is refused in the page's language; a real one is kept with the officer's name.
        async with officer.post(ack, data={"note": "  "}, timeout=TIMEOUT) as r:
            assert r.status == 400 and "note" in await r.text()
        async with officer.post(
            ack, data={"note": "出口车道复位测试车辆", "back": "/quality"}, timeout=TIMEOUT
        ) as r:
            assert r.status == 200 and "已确认该问题" in await r.text()
        status_, html = await page(officer, f"{base}/quality", rule="exit_without_entry")
        assert f'data-finding="{finding_id}"' not in html  # no longer open
        status_, html = await page(
            inspector, f"{base}/quality", rule="exit_without_entry", status="acknowledged"
        )
        shown = text_of(html)
        assert "已确认" in shown and "officer 于 2026-10-06 09:00:00 确认：出口车道复位测试车辆" in shown

        # English: the rule names, states and severities in English.
        status_, html = await page(inspector, f"{base}/quality", lang="en", status="all")
        shown = text_of(html)
        assert "Data quality" in shown and "Exit without an entry" in shown
        assert "Acknowledged by officer" in shown and "Warning" in shown and "有出无进" not in shown
        # A bad filter is answered with the field named, not a failure.
        status_, html = await page(officer, f"{base}/quality", start="2026-13-01")
        assert status_ == 400 and "not a date" in html
    finally:
        for s in (officer, inspector, guard):
            await s.close()


async def test_uplink_page_cards_parked_records_and_resend(make_hub, clock, sim) -> None:
    sim.reject(plates=["冀B00002"])
    hub = await make_hub(uplink_yaml(sim.url, extra="ui: {port: 0}\n"), clock=clock)
    await add_role_users(hub)
    data = [passage(n) for n in range(4)]
    for item in data:
        await record(hub, item)
    await sim.wait_for(lambda: len(sim.ids()) == 3)
    await wait_state(hub, "sensor.uplink_province_pending", lambda s: s == "0")
    base = ui_url(hub)
    officer, guard = await signed_in(base, Role.OFFICER), await signed_in(base, Role.GUARD)
    try:
        status_, html = await page(officer, f"{base}/uplink")
        assert status_ == 200
        card = re.search(
            r'<section class="panel platform-card" data-platform="province">(.*?)</section>', html, re.S
        )
        assert card, html
        shown = text_of(card.group(1))
        # Today's figures by name: 4 due, 3 acknowledged, 1 rejected, nothing pending.
        today = re.search(r'id="today-province">(.*?)</dl>', card.group(1), re.S).group(1)
        figures = dict(re.findall(r'data-field="(\w+)">([^<]*)<', today))
        assert (figures["due"], figures["acknowledged"], figures["rejected"], figures["pending"]) == (
            "4",
            "3",
            "1",
            "0",
        )
        assert figures["rate"] == "75.0%" and figures["backlog"] == "无积压"
        assert "2026-11-24" in shown and "2026-11-18" in shown  # a row per day, a week back
        assert "冀B00002" in shown and "备案" in shown and "补传当天" in shown

        # The platform has the vehicle now; the officer resends the parked record's day from its row.
        sim.faults.reject_plates.clear()
        form = {"platform": "province", "start": "2026-11-24", "end": "2026-11-24"}
        async with officer.post(f"{base}/uplink/resend", data=form, timeout=TIMEOUT) as r:
            assert r.status == 200 and "已提交补传任务 1 个" in await r.text()
        await sim.wait_for(lambda: data[2]["passage_id"] in sim.received["passage"])
        await wait_state(hub, "sensor.uplink_province_rejected_today", lambda s: s == "0")
        status_, html = await page(officer, f"{base}/uplink")
        assert "没有暂存记录" in html and "最近补传任务" in html

        # A range that ends before it starts is refused with the field named; a guard sees, never resends.
        bad = {"start": "2026-11-24", "end": "2026-11-20"}
        async with officer.post(f"{base}/uplink/resend", data=bad, timeout=TIMEOUT) as r:
            assert r.status == 400 and "end comes before start" in await r.text()
        status_, html = await page(guard, f"{base}/uplink")
        assert status_ == 200 and 'data-platform="province"' in html and 'id="resend-form"' not in html
        async with guard.post(f"{base}/uplink/resend", data=form, timeout=TIMEOUT) as r:
            assert r.status == 403
        status_, html = await page(guard, f"{base}/uplink", lang="en")
        assert "Upload rate today" in html and "Acknowledged" in html
    finally:
        await officer.close()
        await guard.close()


async def test_devices_page_shows_each_device_online_and_its_last_error(make_hub, clock, sim) -> None:
    hub = await make_hub(uplink_yaml(sim.url, extra="ui: {port: 0}\n" + BARRIER), clock=clock)
    await add_role_users(hub)
    await wait_state(hub, "binary_sensor.uplink_province_connected", lambda s: s == "on")
    await wait_state(hub, "binary_sensor.east_in_barrier_online", lambda s: s == "on")
    base = ui_url(hub)
    engineer, guard = await signed_in(base, Role.ENGINEER), await signed_in(base, Role.GUARD)
    try:
        status_, html = await page(engineer, f"{base}/devices")
        assert status_ == 200
        row = re.search(r'<tr data-device="uplink:province">(.*?)</tr>', html, re.S).group(1)
        assert "监管平台" in row and "在线" in row and "binary_sensor.uplink_province_connected" in row
        assert 'href="/devices"' in html and "<form" not in row  # read only
        barrier = re.search(r'<tr data-device="barrier:[^"]*">(.*?)</tr>', html, re.S).group(1)
        assert "道闸控制器" in barrier and "在线" in barrier and "cover.east_in_barrier" in barrier
        status_, html = await page(guard, f"{base}/devices")
        assert status_ == 403
    finally:
        await engineer.close()
        await guard.close()


async def test_vehicle_page_passages_trips_and_register(make_hub) -> None:
    from tests.components.vehicles.conftest import transport

    clock = ManualClock(datetime(2026, 11, 24, 8, 0, tzinfo=TZ))
    hub = await make_hub(
        "hub: {name: 车辆页面}\nledger:\nvehicles:\nreports: {schedule_enabled: false}\nui: {port: 0}\n",
        clock=clock,
    )
    await add_role_users(hub)
    vehicle = transport(7)
    await hub.services.async_call("vehicles", "upsert", {"class": "transport", "record": vehicle})
    plate = vehicle["plate"]
    base_passage: dict[str, Any] = {"gate": "east_gate", "vehicle_class": "transport", "decision": "allow",
                                    "plate": plate, "colour": "yellow",
                                    "vehicle": {"fleet": vehicle["fleet"]}}  # fmt: skip
    # The entry was misread and a guard corrected it: it still counts for the plate and its trip.
    entry = {
        **base_passage,
        "passage_id": str(uuid.uuid4()),
        "lane": "in",
        "direction": "in",
        "plate": "冀B0000X",
    }
    await hub.services.async_call("ledger", "record_passage", entry)
    correction = {
        "passage_id": entry["passage_id"],
        "kind": "correction",
        "data": {"plate": plate},
        "reason": "识别错误",
    }
    await hub.services.async_call("ledger", "record_followup", correction)
    clock.set(datetime(2026, 11, 24, 10, 5, tzinfo=TZ))
    leave = {**base_passage, "passage_id": str(uuid.uuid4()), "lane": "out", "direction": "out"}
    await hub.services.async_call("ledger", "record_passage", leave)
    other = {
        **base_passage,
        "passage_id": str(uuid.uuid4()),
        "lane": "in",
        "direction": "in",
        "plate": "冀B99999",
    }
    await hub.services.async_call("ledger", "record_passage", other)
    base = ui_url(hub)
    guard = await signed_in(base, Role.GUARD)
    try:
        status_, html = await page(guard, f"{base}/vehicle/{plate}")
        assert status_ == 200
        passages = re.search(r'id="vehicle-passages">(.*?)</section>', html, re.S).group(1)
        assert passages.count('class="passage-link"') == 2 and entry["passage_id"] in passages
        assert "冀B99999" not in html
        trips = text_of(re.search(r'id="vehicle-trips">(.*?)</section>', html, re.S).group(1))
        assert "2026-11-24 08:00:00" in trips and "2026-11-24 10:05:00" in trips and "125 分钟" in trips
        register = text_of(re.search(r'id="vehicle-register">(.*?)</section>', html, re.S).group(1))
        assert "运输车辆" in register and vehicle["vin"] in register
        assert 'id="vehicle-scorecard"' not in html  # a guard does not read the scorecards
        officer = await signed_in(base, Role.OFFICER)
        _, html = await page(officer, f"{base}/vehicle/{plate}")
        await officer.close()
        card = text_of(re.search(r'id="vehicle-scorecard">(.*?)</section>', html, re.S).group(1))
        assert "所属车队本月评分：唐山顺达物流有限公司" in card and "车辆数 2" in card
        status_, html = await page(guard, f"{base}/vehicle/冀B99999")
        assert status_ == 200 and "该车牌未在车辆台账中备案" in html
    finally:
        await guard.close()


async def test_passage_search_exports_what_it_found(make_hub) -> None:
    clock = ManualClock(datetime(2026, 11, 24, 8, 0, tzinfo=TZ))
    hub = await make_hub("hub: {name: 导出测试}\nledger:\nui: {port: 0}\n", clock=clock)
    await add_role_users(hub)
    for n, plate in enumerate(("冀B30001", "冀B30002", "豫A77777")):
        clock.set(datetime(2026, 11, 24, 8, n, tzinfo=TZ))
        body = {"passage_id": str(uuid.uuid4()), "gate": "east_gate", "lane": "in", "direction": "in",
                "plate": plate, "colour": "yellow", "vehicle_class": "transport",
                "decision": "deny" if n == 1 else "allow"}  # fmt: skip
        await hub.services.async_call("ledger", "record_passage", body)
    base = ui_url(hub)
    inspector, guard = await signed_in(base, Role.INSPECTOR), await signed_in(base, Role.GUARD)
    try:
        status_, html = await page(inspector, f"{base}/passages", plate="B3000", decision="allow")
        assert status_ == 200 and "冀B30001" in html and "冀B30002" not in html
        link = re.search(r'id="export-search-csv" href="([^"]+)"', html).group(1).replace("&amp;", "&")
        async with inspector.get(base + link, timeout=TIMEOUT) as r:
            assert r.status == 200, await r.text()
            body = (await r.read()).decode("utf-8-sig")
        assert "冀B30001" in body and "冀B30002" not in body and "豫A77777" not in body
        xlsx = link.replace("format=csv", "format=xlsx")
        async with inspector.get(base + xlsx, timeout=TIMEOUT) as r:
            assert r.status == 200 and (await r.read())[:2] == b"PK"
        # A guard searches but does not export.
        status_, html = await page(guard, f"{base}/passages", plate="B3000")
        assert 'id="save-search"' in html and 'id="search-export"' not in html
        async with guard.get(base + link, timeout=TIMEOUT) as r:
            assert r.status == 403
        status_, html = await page(inspector, f"{base}/passages/export", format="pdf")
        assert status_ == 400
    finally:
        await inspector.close()
        await guard.close()


async def test_register_delete_asks_for_a_reason_and_english_mode_is_english(make_hub) -> None:
    from tests.components.vehicles.conftest import transport

    hub = await make_hub("hub: {name: 台账删除}\nledger:\nvehicles:\nui: {port: 0}\n")
    await add_role_users(hub)
    await hub.services.async_call("vehicles", "upsert", {"class": "transport", "record": transport(3)})
    base = ui_url(hub)
    officer = await signed_in(base, Role.OFFICER)
    try:
        _, html = await page(officer, f"{base}/vehicles/transport/冀B00003")
        confirm = text_of(re.search(r'id="delete-confirm">(.*?)</details>', html, re.S).group(1))
        assert (
            "确定要删除 冀B00003 的登记吗" in confirm
            and "删除原因" in confirm
            and "确认删除 冀B00003" in confirm
        )
        url = f"{base}/vehicles/transport/冀B00003/delete"
        async with officer.post(url, data={"reason": " "}, timeout=TIMEOUT) as r:
            assert r.status == 400 and "删除登记须填写原因" in await r.text()
        assert await hub.services.async_call("vehicles", "get", {"key": "冀B00003"}) is not None
        async with officer.post(url, data={"reason": "车辆已报废"}, timeout=TIMEOUT) as r:
            assert r.status == 200
        assert await hub.services.async_call("vehicles", "get", {"key": "冀B00003"}) is None
        history = await hub.services.async_call(
            "vehicles", "history", {"class": "transport", "key": "冀B00003"}
        )
        assert any("车辆已报废" in (h["source"] or "") for h in history["items"])

        await hub.services.async_call("vehicles", "upsert", {"class": "transport", "record": transport(4)})
        _, html = await page(officer, f"{base}/vehicles", tab="transport", lang="en")
        tabs = text_of(re.search(r'<nav class="tabs"(.*?)</nav>', html, re.S).group(1))
        assert "Transport vehicles" in tabs and "Non-road machinery" in tabs
        assert not re.search(r"[\u4e00-\u9fff]", tabs), tabs
        _, html = await page(officer, f"{base}/vehicles/transport/冀B00004", lang="en")
        shown = text_of(re.search(r'id="record-view">(.*?)</dl>', html, re.S).group(1))
        assert (
            "Emission stage China VI" in shown and "Fuel Diesel" in shown and "Plate colour yellow" in shown
        )
        assert (
            "Networked Yes" in shown
            and "国六" not in shown
            and "柴油" not in shown
            and "车牌颜色" not in shown
        )
    finally:
        await officer.close()
