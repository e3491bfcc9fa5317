"""Clean-transport ratio on a hand-computed case, the exported files (header block, columns, formats,
formula injection, CSV encodings), the appendix tables, the evidence pack, scheduled reports, roles."""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from datetime import timedelta

import openpyxl
import pytest

from hub.core import Context, ManualClock, ServiceValidationError, Unauthorized
from hub.core.auth import Role
from tests.components.ledger.conftest import JPEG
from tests.components.reports.conftest import MONTH_START, followup, record


async def _user(hub, name: str, role: Role) -> Context:
    user = await hub.auth.async_add_user(name, f"correct horse {name}", frozenset({role}))
    return Context(user_id=user.id)


async def _truck(hub, clock, at, plate: str, stage: str, fuel: str, tonnes: float, **extra) -> str:
    vehicle = {"emission_stage": stage, "fuel": fuel, "fleet": "顺达物流", "registered": True}
    pid = await record(hub, clock, at, plate=plate, vehicle=vehicle, **extra)
    await followup(
        hub, clock, at + timedelta(minutes=1), pid, "cargo", {"cargo": "铁矿石", "quantity": tonnes}
    )
    return pid


async def test_clean_transport_ratio_by_hand(reports_hub, month_clock) -> None:
    hub = await reports_hub()
    officer = await _user(hub, "wang", Role.OFFICER)
    inspector = await _user(hub, "li", Role.INSPECTOR)
    day = MONTH_START + timedelta(days=2, hours=9)
    # road: new-energy 50 t, 国六 100 t, 国五 30 t, 国四 20 t (kg on one supplement) = 200 t
    await _truck(hub, month_clock, day, "冀BD00001", "D", "C", 50)
    await _truck(hub, month_clock, day + timedelta(minutes=5), "冀B00002", "6", "B", 60)
    await _truck(hub, month_clock, day + timedelta(minutes=6), "冀B00003", "6", "E", 40)
    await _truck(hub, month_clock, day + timedelta(minutes=7), "冀B00004", "5", "B", 30, direction="out")
    pid = await record(
        hub,
        month_clock,
        day + timedelta(minutes=8),
        plate="冀B00005",
        vehicle={"emission_stage": "4", "fuel": "B"},
    )
    await followup(
        hub,
        month_clock,
        day + timedelta(minutes=9),
        pid,
        "cargo",
        {"cargo": "焦炭", "quantity": 20000, "unit": "kg"},
    )
    # rail 700 t for the month, belt 200 t over two months (half of it counts), entered by the officer
    body = {
        "mode": "rail",
        "direction": "in",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "tonnes": 700,
        "source": "铁路运单汇总 2026-11",
    }
    first = await hub.services.async_call("reports", "enter_tonnage", {**body, "tonnes": 650}, officer)
    await hub.services.async_call("reports", "enter_tonnage", {**body, "replaces": first["id"]}, officer)
    await hub.services.async_call(
        "reports",
        "enter_tonnage",
        {
            "mode": "belt",
            "direction": "in",
            "start": "2026-11-01",
            "end": "2026-12-30",
            "tonnes": 400,
            "source": "皮带通廊计量",
        },
        officer,
    )
    with pytest.raises(Unauthorized):
        await hub.services.async_call("reports", "enter_tonnage", body, inspector)

    r = await hub.services.async_call(
        "reports",
        "clean_transport",
        {"period": "month", "date": "2026-11-03", "with_passages": True},
        inspector,
    )
    assert r["road"]["new_energy"]["total"] == 50 and r["road"]["stage6"]["total"] == 100
    assert r["road"]["stage5"]["out"] == 30 and r["road"]["older"]["total"] == 20
    assert r["road_total"] == 200 and r["other_modes"]["rail"] == 700
    assert r["other_modes"]["belt"] == pytest.approx(400 * 30 / 60)
    # clean: 700 + 200 = 900 of 1100; with new-energy trucks 950 of 1100
    assert r["ratio_without_new_energy"] == round(900 / 1100, 4)
    assert r["ratio_with_new_energy"] == round(950 / 1100, 4)
    assert r["met_without_new_energy"] and r["met_with_new_energy"] and r["target"] == 0.8
    assert [p["plate"] for p in r["passages"]["stage6"]] == ["冀B00002", "冀B00003"]
    assert [e["tonnes"] for e in r["entries"]] == [700, 400]  # the replaced 650 is not counted


async def test_xlsx_export_header_block_formats_and_formula_injection(reports_hub, month_clock) -> None:
    hub = await reports_hub()
    inspector = await _user(hub, "li", Role.INSPECTOR)
    day = MONTH_START + timedelta(days=4, hours=10)
    await _truck(hub, month_clock, day, "=1+2", "5", "B", 31.25, images={"plate": JPEG})
    await _truck(hub, month_clock, day + timedelta(minutes=3), "冀B00002", "6", "B", 12, direction="out")
    info = await hub.services.async_call(
        "reports", "export", {"kind": "passages", "period": "month", "date": "2026-11-05"}, inspector
    )
    assert info["rows"] == 2 and info["created_by"] == (await _uid(hub, "li"))
    got = await hub.services.async_call("reports", "file", {"name": info["name"]}, inspector)
    book = openpyxl.load_workbook(io.BytesIO(got["content"]))
    ws = book.active
    assert ws.title == "每车次台账"
    header = {ws.cell(r, 1).value: ws.cell(r, 2).value for r in range(2, 8)}
    assert header["企业名称"] == "唐山示范钢铁" and header["统计期间"] == "2026-11-01 至 2026-11-30"
    assert header["生成人"] == "li" and header["台账链头哈希"].startswith("#")
    assert ws.freeze_panes == "A10" and ws.page_setup.orientation == "landscape"
    headings = [c.value for c in ws[9]]
    assert headings[:8] == [
        "序号",
        "进出厂时间",
        "门岗",
        "车道",
        "进出方向",
        "方向说明",
        "车牌号码",
        "车牌颜色",
    ]
    first, second = ws[10], ws[11]
    col = {h: n for n, h in enumerate(headings)}
    assert first[col["进出厂时间"]].value == "20261105 100000"
    assert first[col["车牌号码"]].value == "=1+2" and first[col["车牌号码"]].data_type == "s"
    assert first[col["排放阶段"]].value == "5" and first[col["排放阶段说明"]].value == "国五"
    assert first[col["运输量(吨)"]].value == 31.2 and first[col["运输量(吨)"]].number_format == "0.0"
    assert first[col["车牌颜色"]].value == "黄色(yellow)"
    link = first[col["车牌照片"]]
    assert link.data_type == "f" and link.value.startswith('=HYPERLINK("http://127.0.0.1:8420/api/evidence/')
    assert second[col["车牌照片"]].value is None
    assert second[col["进出方向"]].value == "2"
    # the CSV: UTF-8 with BOM, the formula neutralised; GBK on request
    info = await hub.services.async_call(
        "reports",
        "export",
        {"kind": "passages", "period": "month", "date": "2026-11-05", "format": "csv"},
        inspector,
    )
    content = (await hub.services.async_call("reports", "file", {"name": info["name"]}, inspector))["content"]
    assert content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert ["'=1+2"] == [r[6] for r in rows if r and r[0] == "1"]
    info = await hub.services.async_call(
        "reports",
        "export",
        {
            "kind": "passages",
            "period": "month",
            "date": "2026-11-05",
            "format": "csv",
            "encoding": "gbk",
        },
        inspector,
    )
    content = (await hub.services.async_call("reports", "file", {"name": info["name"]}, inspector))["content"]
    assert "每车次台账" in content.decode("gbk")
    listed = await hub.services.async_call("reports", "files", {}, inspector)
    assert listed["files"][0]["name"] == info["name"] and len(listed["files"]) == 3


async def _uid(hub, name: str) -> str:
    user = hub.auth.by_name(name)
    assert user is not None
    return user.id


async def test_statistics_workbook_daily_table_and_evidence_pack(reports_hub, month_clock) -> None:
    hub = await reports_hub()
    officer = await _user(hub, "wang", Role.OFFICER)
    day = MONTH_START + timedelta(days=1, hours=9)
    await _truck(hub, month_clock, day, "冀B00001", "6", "B", 30)
    await record(
        hub,
        month_clock,
        day + timedelta(minutes=4),
        plate="冀B00009",
        decision="deny",
        reason_code="forbidden",
        reason_text="国四柴油货车禁止入厂",
        vehicle={"emission_stage": "4", "fuel": "B"},
    )
    args = {"period": "month", "date": "2026-11-02"}
    stats = await hub.services.async_call("reports", "export", {"kind": "statistics", **args}, officer)
    got = await hub.services.async_call("reports", "file", {"name": stats["name"]}, officer)
    book = openpyxl.load_workbook(io.BytesIO(got["content"]))
    assert book.sheetnames[:3] == ["汇总", "分类统计", "车道"] and "每日" in book.sheetnames
    daily = await hub.services.async_call("reports", "export", {"kind": "daily", **args}, officer)
    ws = openpyxl.load_workbook(
        io.BytesIO(
            (await hub.services.async_call("reports", "file", {"name": daily["name"]}, officer))["content"]
        )
    ).active
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=10)]
    assert len(rows) == 30 and rows[1][:5] == ["20261102", 2, 0, 1, 1]
    heads = [c.value for c in ws[9]]
    assert rows[1][heads.index("入厂国六(6)")] == 1 and rows[1][heads.index("入厂国四(4)")] == 1

    pack = await hub.services.async_call(
        "reports", "export", {"kind": "evidence_pack", "format": "csv", **args}, officer
    )
    assert pack["name"].endswith(".xlsx")  # the pack is a workbook (and its HTML page) whatever was asked
    got = await hub.services.async_call("reports", "file", {"name": pack["name"]}, officer)
    book = openpyxl.load_workbook(io.BytesIO(got["content"]))
    assert book.sheetnames == [
        "概要",
        "运输方式",
        "排放阶段占比",
        "厂内车辆与机械",
        "拦截记录",
        "预警期间",
        "上传率",
    ]
    summary = {r[0].value: r[1].value for r in book["概要"].iter_rows(min_row=10)}
    assert summary["台账校验结果 ledger verify"] == "校验通过 chains intact"
    assert summary["台账链头"].startswith("#")
    interceptions = [[c.value for c in r] for r in book["拦截记录"].iter_rows(min_row=10)]
    assert [r[4] for r in interceptions] == ["冀B00009"]
    html_name = pack["name"].replace(".xlsx", ".html")
    page = await hub.services.async_call("reports", "file", {"name": html_name}, officer)
    assert page["content_type"].startswith("text/html") and "绩效分级证据包" in page["content"].decode()


async def test_appendix_tables_of_the_three_classes(reports_hub, month_clock) -> None:
    hub = await reports_hub(extra="vehicles:\n")
    inspector = await _user(hub, "li", Role.INSPECTOR)
    truck = {
        "plate": "冀B12345",
        "colour": "yellow",
        "vehicle_type": "重型半挂牵引车",
        "vin": "LFWADRJF0J1000001",
        "registration_date": "2021-05-06",
        "fuel": "B",
        "emission_stage": "6",
        "fleet": "@SUM(A1)",
        "network_status": True,
    }
    await hub.services.async_call("vehicles", "upsert", {"class": "transport", "record": truck})
    info = await hub.services.async_call("reports", "export", {"kind": "transport"}, inspector)
    got = await hub.services.async_call("reports", "file", {"name": info["name"]}, inspector)
    ws = openpyxl.load_workbook(io.BytesIO(got["content"])).active
    heads = [c.value for c in ws[9]]
    assert heads[:6] == [
        "车牌号码",
        "车牌颜色",
        "车辆类型",
        "车辆识别代号(VIN)",
        "发动机号码",
        "注册登记日期",
    ]
    row = {h: c for h, c in zip(heads, ws[10], strict=True)}
    assert row["注册登记日期"].value == "20210506" and row["排放阶段"].value == "6"
    assert row["排放阶段说明"].value == "国六" and row["联网状态"].value == "是"
    assert row["车队名称"].value == "@SUM(A1)" and row["车队名称"].data_type == "s"
    for vclass in ("in_plant", "machinery"):
        empty = await hub.services.async_call("reports", "export", {"kind": vclass}, inspector)
        assert empty["rows"] == 0


async def test_scheduled_reports_are_written_once_and_announced(reports_hub) -> None:
    start = MONTH_START + timedelta(days=2, hours=4)  # Tuesday 3 November, before the 06:00 run
    clock = ManualClock(start)
    hub = await reports_hub("  schedule:\n    daily_at: '06:00'\n", clock=clock)
    written: list[dict] = []
    hub.bus.async_listen("report_written", lambda event: written.append(dict(event.data)))
    await record(hub, clock, start + timedelta(hours=1), plate="冀B00001")
    clock.set(start + timedelta(days=1, hours=1))
    await hub.async_block_till_done()
    assert written == []
    clock.set(start + timedelta(days=1, hours=2, minutes=1))
    async with asyncio.timeout(10):
        while not written:
            await hub.async_block_till_done()
    clock.advance(timedelta(minutes=5))
    await hub.async_block_till_done()
    assert [(w["kind"], w["start"], w["created_by"]) for w in written] == [
        ("statistics", "2026-11-03", "schedule")
    ]
    assert written[0]["rows"] > 0
    audit = await hub.services.async_call("ledger", "audit_query", {"action": "reports.scheduled"})
    assert audit["items"][0]["detail"]["sha256"] == written[0]["sha256"]
    listed = await hub.services.async_call("reports", "files", {"kind": "statistics"})
    assert [f["name"] for f in listed["files"]] == [written[0]["name"]]


async def test_tonnage_import_from_xlsx_checked_then_kept(reports_hub, month_clock) -> None:
    hub = await reports_hub()
    officer = await _user(hub, "wang", Role.OFFICER)
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["运输方式", "方向", "开始日期", "结束日期", "吨数", "货物"])
    sheet.append(["铁路", "入厂", "2026-11-01", "2026-11-30", 5000, "铁矿石"])
    sheet.append(["水路", "出厂", "2026-11-01", "2026-11-30", 1200.5, "钢材"])
    content = io.BytesIO()
    book.save(content)
    body = {"filename": "运量.xlsx", "content": content.getvalue(), "source": "ERP 月报"}
    checked = await hub.services.async_call("reports", "import_tonnage", {**body, "dry_run": True}, officer)
    assert (checked["imported"], checked["valid"], checked["errors"]) == (0, 2, [])
    done = await hub.services.async_call("reports", "import_tonnage", body, officer)
    assert done["imported"] == 2
    listed = await hub.services.async_call("reports", "tonnage", {"date": "2026-11-15"}, officer)
    assert listed["by_mode"] == {"rail": 5000.0, "waterway": 1200.5, "pipeline": 0.0, "belt": 0.0}
    assert listed["entries"][0]["file"].startswith("运量.xlsx sha256:")
    assert listed["entries"][0]["entered_by"] == await _uid(hub, "wang")
    with pytest.raises(ServiceValidationError, match="vehicles"):
        await hub.services.async_call("reports", "export", {"kind": "transport"}, officer)
    with pytest.raises(ServiceValidationError, match="content"):
        await hub.services.async_call(
            "reports", "import_tonnage", {**body, "content": b"PK\x03\x04 no"}, officer
        )


def _body(at, plate: str, direction: str, vehicle: dict) -> dict:
    return {
        "passage_id": str(uuid.uuid4()),
        "gate": "east_gate",
        "lane": direction,
        "direction": direction,
        "plate": plate,
        "vehicle_class": "transport",
        "vehicle": vehicle,
        "decision": "allow",
        "reason_code": "allowed",
        "captured_at": at.isoformat(),
    }


async def test_carrier_scorecards_count_the_data_quality_findings(reports_hub, month_clock) -> None:
    hub = await reports_hub(extra="quality:\n")
    if "quality" not in hub.loaded:
        pytest.skip(f"quality did not load: {hub.setup_errors.get('quality')}")
    day = MONTH_START + timedelta(days=2, hours=9)
    vehicle = {"emission_stage": "6", "fuel": "B", "fleet": "顺达物流", "registered": True}
    # an exit without entry, by a 顺达 truck; a clean trip by a 通达 truck
    seqs = {"顺达物流": [], "通达运输": []}
    month_clock.set(day)
    found = await hub.services.async_call("ledger", "record_passage", _body(day, "冀B00001", "out", vehicle))
    seqs["顺达物流"].append(found["seq"])
    other = {**vehicle, "fleet": "通达运输"}
    for at, direction in ((day + timedelta(minutes=5), "in"), (day + timedelta(hours=2), "out")):
        month_clock.set(at)
        found = await hub.services.async_call(
            "ledger", "record_passage", _body(at, "冀B00002", direction, other)
        )
        seqs["通达运输"].append(found["seq"])
    await hub.services.async_call("quality", "run", {"date": "2026-11-03"})
    findings = await hub.services.async_call("quality", "findings", {"status": "all", "page_size": 500})
    cards = await hub.services.async_call("reports", "carriers", {"date": "2026-11-03"})
    by_fleet = {c["fleet"]: c["quality_findings"] for c in cards["carriers"]}
    expected = {
        fleet: sum(1 for f in findings["items"] if set(f["seqs"]) & set(mine)) for fleet, mine in seqs.items()
    }
    assert by_fleet == expected and expected["顺达物流"] >= 1  # at least its exit without entry
    info = await hub.services.async_call("reports", "export", {"kind": "carriers", "date": "2026-11-03"})
    got = await hub.services.async_call("reports", "file", {"name": info["name"]})
    ws = openpyxl.load_workbook(io.BytesIO(got["content"])).active
    heads = [c.value for c in ws[9]]
    rows = {r[0].value: r[heads.index("数据质量问题")].value for r in ws.iter_rows(min_row=10)}
    assert rows == expected
