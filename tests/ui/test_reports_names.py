"""The reports page names what the ledger stores as codes, in both languages: emission stages and fuels by
name (国四 / China IV, 柴油 / Diesel), times in plant time without an offset, a sample's missing items by
their field names, denial reasons and report authors in words; the counts download names each item and
keeps its code in a column of its own."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from typing import Any

import aiohttp
import openpyxl

from hub.core import ManualClock
from hub.core.auth import Role
from tests.components.reports.conftest import MONTH_START, generate_month
from tests.ui.conftest import add_role_users, signed_in, ui_url

CONFIG = "hub: {name: 报表名称钢厂}\nledger:\nreports: {schedule_enabled: false}\nui: {port: 0}\n"
TIMEOUT = aiohttp.ClientTimeout(total=60)
SPAN = {"period": "custom", "start": "2026-11-01", "end": "2026-11-12"}
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def section(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"[^>]*>(.*?)</(table|dl|p)>', html, re.S)
    assert found, element_id
    return text_of(found.group(1))


def rows_of(html: str, element_id: str) -> dict[str, str]:
    """A two-column table as {first cell: second cell}."""
    body = re.search(rf'id="{element_id}"(.*?)</table>', html, re.S)
    assert body, element_id
    return {
        text_of(a): text_of(b)
        for a, b in re.findall(r"<tr[^>]*>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>", body.group(1), re.S)
    }


async def plant(make_hub: Any) -> tuple[str, aiohttp.ClientSession]:
    """Twelve days of generated traffic (an orange alert on the 10th and 11th), an officer signed in."""
    clock = ManualClock(MONTH_START - timedelta(hours=4))
    hub = await make_hub(CONFIG, clock=clock)
    await add_role_users(hub)
    await generate_month(hub, clock, days=12)
    clock.set(MONTH_START + timedelta(days=12, hours=9))
    base = ui_url(hub)
    return base, await signed_in(base, Role.OFFICER)


async def get(session: aiohttp.ClientSession, url: str, **params: str) -> str:
    async with session.get(url, params=params, timeout=TIMEOUT) as response:
        assert response.status == 200, await response.text()
        return await response.text()


async def test_passage_counts_name_stages_fuels_and_classes(make_hub) -> None:
    base, officer = await plant(make_hub)
    month = {"report": "counts", "period": "month", "month": "2026-11"}
    try:
        zh = await get(officer, f"{base}/reports", **month, lang="zh-CN")
        assert rows_of(zh, "by_stage") == {
            "国二": "12", "国四": "24", "国五": "24", "国六": "12", "电动": "12", "未知": "12",
        }  # fmt: skip
        assert rows_of(zh, "by_fuel") == {"柴油": "60", "电": "12", "天然气": "12", "未知": "12"}
        assert "特批放行 6" in section(zh, "counts-totals")

        en = await get(officer, f"{base}/reports", **month, lang="en")
        assert rows_of(en, "by_stage") == {
            "China II": "12", "China IV": "24", "China V": "24", "China VI": "12", "Electric": "12",
            "Unknown": "12",
        }  # fmt: skip
        assert rows_of(en, "by_fuel") == {
            "Diesel": "60",
            "Electric": "12",
            "Natural gas": "12",
            "Unknown": "12",
        }
        # Every label of a list starts with a capital, as its neighbours do.
        assert "Special releases 6" in section(en, "counts-totals")
        assert set(rows_of(en, "by_class")) == {"In-plant vehicle", "Non-road machinery", "Transport vehicle"}

        # The download names each item as the page does and keeps its code beside it.
        async with officer.get(f"{base}/reports/download", params={**month, "format": "xlsx"}) as response:
            assert response.status == 200
            sheet = openpyxl.load_workbook(io.BytesIO(await response.read())).active
        table = list(sheet.iter_rows(values_only=True))[2:]
        assert table[0] == ("分类", "项目", "车次", "代码")
        assert ("排放阶段", "国四", 24, "4") in table and ("燃料类型", "天然气", 12, "E") in table
        assert ("燃料类型", "未知", 12, "unknown") in table and ("合计", "入厂", 96, None) in table
        async with officer.get(f"{base}/reports/download", params={**month, "format": "csv"}) as response:
            rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))[2:]
        assert ["排放阶段", "国六", "12", "6"] in rows and ["燃料类型", "柴油", "60", "B"] in rows
    finally:
        await officer.close()


async def test_sample_window_and_averages_in_words_and_plant_time(make_hub) -> None:
    base, officer = await plant(make_hub)
    sample = {"report": "sample", "start": "2026-11-01", "end": "2026-11-12", "size": "10", "seed": "7"}
    window = {"report": "window", "at": "2026-11-10T08:00", "minutes": "60"}
    try:
        for lang, stages, photos, joined in (
            ("zh-CN", "国四", "车牌照片", "车牌照片、场景照片"),
            ("en", "China IV", "Plate photo", "Plate photo, Scene photo"),
        ):
            html = await get(officer, f"{base}/reports", **window, lang=lang)
            table = section(html, "window-table")
            assert "2026-11-10 08:40:00" in table and stages in table, table
            assert section(html, "report-period") == "2026-11-10 08:00:00 — 2026-11-10 09:00:00"
            html = await get(officer, f"{base}/reports", **sample, lang=lang)
            table = section(html, "sample-table")
            assert photos in table and joined in table, table
            assert "photo_" not in table and "+08:00" not in table and not re.search(r"\d\d:\d\d\.\d", table)
            summary = section(html, "sample-summary")
            assert summary in ("0 / 10 条完整 · 共 172 条通行记录", "0 / 10 complete · from 172 passages"), (
                summary
            )
        # English: no Chinese list separator, directions and headers capitalised.
        assert "、" not in table and re.search(r" (In|Out) 冀", table)
        assert "Complete" in text_of(html)

        # The sample downloaded names the missing items as the page does.
        async with officer.get(f"{base}/reports/download", params={**sample, "format": "csv"}) as response:
            rows = list(csv.reader(io.StringIO((await response.read()).decode("utf-8-sig"))))
        assert rows[2][-2:] == ["是否完整", "缺项"] and len(rows) == 3 + 10
        assert all(row[-1].endswith("车牌照片、场景照片") for row in rows[3:]), rows
        assert not any("photo_" in cell for row in rows for cell in row)

        # A day without any passage is named as such, not as the code `none`.
        for lang, word in (("zh-CN", "无通行记录"), ("en", "No passages")):
            html = await get(
                officer, f"{base}/reports", report="averages", start="2026-10-31", end="2026-11-01", lang=lang
            )
            days = section(html, "averages-days")
            assert f"2026-10-31 {word} 0 0" in days and "none" not in days, days
    finally:
        await officer.close()


async def test_compliance_tabs_in_english_have_no_chinese_labels(make_hub) -> None:
    base, officer = await plant(make_hub)
    try:
        async with officer.get(
            f"{base}/reports/export", params={**SPAN, "kind": "statistics", "format": "csv"}
        ) as r:
            assert r.status == 200
        html = await get(officer, f"{base}/reports", report="statistics", **SPAN, lang="en")
        denied = rows_of(html, "stat-denied")
        assert denied == {"Not allowed by the rules": "14", "Unregistered vehicle": "12"}, denied
        assert "国四柴油货车禁止入厂" in html  # the recorded text stays at hand, as the cell's title
        assert "Special releases 6" in section(html, "stat-totals")
        assert "Special releases" in section(html, "stat-days")
        assert {"Blue", "Yellow", "Yellow-green (new energy)", "Unknown colour"} <= set(
            re.findall(
                r"<td>([^<]+)</td>", re.search(r'id="stat-by-colour"(.*?)</table>', html, re.S).group(1)
            )
        )

        alerts = section(
            await get(officer, f"{base}/reports", report="alerts", **SPAN, lang="en"), "alert-periods"
        )
        assert "Not allowed by the rules 4, Unregistered vehicle 2" in alerts, alerts
        assert "2026-11-10 08:00:00" in alerts

        carriers = section(
            await get(officer, f"{base}/reports", report="carriers", **SPAN, lang="en"), "carriers"
        )
        assert "No fleet" in carriers and "未登记车队" not in carriers
        assert "China V diesel 12, China VI diesel 12" in carriers

        files = section(await get(officer, f"{base}/reports", report="files", lang="en"), "report-files")
        assert "By hand (officer)" in files, files

        # In Chinese the denial reasons are the rule book's words, as recorded.
        html = await get(officer, f"{base}/reports", report="statistics", **SPAN, lang="zh-CN")
        assert rows_of(html, "stat-denied") == {"国四柴油货车禁止入厂": "14", "未备案车辆": "12"}
        files = section(await get(officer, f"{base}/reports", report="files", lang="zh-CN"), "report-files")
        assert "手动生成（officer）" in files

        # Nothing on the English tabs is Chinese but the plant's own data (fleets, the alert's measure,
        # file names).
        data = re.compile(
            r"个体|厂内车队|机械租赁|通达运输|顺达物流|橙色预警二级响应|统计报表_[\w.-]+|报表名称钢厂"
        )
        for tab in ("counts", "averages", "sample", "statistics", "clean", "alerts", "carriers", "files"):
            html = await get(officer, f"{base}/reports", report=tab, **SPAN, lang="en")
            main = re.search(r"<main\b.*?</main>", html, re.S)
            shown = data.sub("", text_of(re.sub(r"<span class=\"plate[^>]*>.*?</span>", "", main.group(0))))
            assert not CJK.search(shown), (tab, CJK.findall(shown), shown)
    finally:
        await officer.close()
