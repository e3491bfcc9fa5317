"""The compliance tabs of the reports page over real HTTP: statistics with Chinese labels and a chart,
downloads that are the files listed, the clean-transport ratio with an officer's rail tonnage, alert
periods and carrier scorecards; an inspector reads and downloads but enters nothing."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import aiohttp
import openpyxl

from hub.core import ManualClock
from hub.core.auth import Role
from tests.components.reports.conftest import MONTH_START, generate_month
from tests.ui.conftest import add_role_users, signed_in, ui_url

CONFIG = "hub: {name: 报表页面钢厂}\nledger:\nreports: {schedule_enabled: false}\nui: {port: 0}\n"
TIMEOUT = aiohttp.ClientTimeout(total=60)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def section(html: str, element_id: str) -> str:
    found = re.search(rf'id="{element_id}"(.*?)</(table|dl)>', html, re.S)
    assert found, element_id
    return text_of(found.group(1))


async def test_compliance_tabs_show_labels_charts_and_downloads(make_hub) -> None:
    clock = ManualClock(MONTH_START - timedelta(hours=4))
    hub = await make_hub(CONFIG, clock=clock)
    await add_role_users(hub)
    await generate_month(hub, clock, days=11)
    clock.set(MONTH_START + timedelta(days=11, hours=9))
    base = ui_url(hub)
    officer, inspector = await signed_in(base, Role.OFFICER), await signed_in(base, Role.INSPECTOR)
    try:
        query = {"report": "statistics", "period": "custom", "start": "2026-11-01", "end": "2026-11-03"}
        async with officer.get(f"{base}/reports", params=query, timeout=TIMEOUT) as r:
            assert r.status == 200
            html = await r.text()
        totals = dict(
            re.findall(
                r'data-field="(\w+)">([^<]*)<', re.search(r'id="stat-totals"(.*?)</dl>', html, re.S).group(1)
            )
        )
        assert (totals["in"], totals["deny"], totals["released"]) == ("24", "6", "2")
        stages = section(html, "stat-by-stage")
        assert (
            "国五 柴油" in stages and "国五 燃气" in stages and "电动" in stages and "5/diesel" not in stages
        )
        assert "运输车辆" in section(html, "stat-by-class") and "黄牌" in section(html, "stat-by-colour")
        assert "柴油" in section(html, "stat-by-fuel") and "国四柴油货车禁止入厂" in section(
            html, "stat-denied"
        )
        assert section(html, "stat-days").count("2026-11-0") == 3
        assert 'id="stat-chart"' in html and "/static/vendor/chartjs/chart.umd.min.js" in html
        assert '"labels":["2026-11-01","2026-11-02","2026-11-03"]' in html.replace(" ", "")

        # The download is the report on screen, written as a file that the files tab then lists.
        link = re.search(r'id="export-xlsx" href="([^"]+)"', html).group(1).replace("&amp;", "&")
        async with officer.get(base + link, timeout=TIMEOUT) as r:
            assert r.status == 200, await r.text()
            book = openpyxl.load_workbook(io.BytesIO(await r.read()), read_only=True)
            name = r.headers["Content-Disposition"]
        assert "汇总" in book.sheetnames
        async with inspector.get(f"{base}/reports", params={"report": "files"}, timeout=TIMEOUT) as r:
            files = await r.text()
        listed = re.search(r'href="(/reports/file\?name=[^"]+)"', files).group(1).replace("&amp;", "&")
        async with inspector.get(base + listed, timeout=TIMEOUT) as r:
            assert r.status == 200 and r.headers["Content-Disposition"] == name
        async with inspector.get(f"{base}/reports/file", params={"name": "nope.xlsx"}, timeout=TIMEOUT) as r:
            assert r.status == 404

        # Clean transport: an officer enters the month's rail tonnage; the ratio counts it.
        month = {"report": "clean", "period": "month", "date": "2026-11-01"}
        async with officer.get(f"{base}/reports", params=month, timeout=TIMEOUT) as r:
            before = section(await r.text(), "clean-ratios")
        rail = {"mode": "rail", "direction": "in", "start": "2026-11-01", "end": "2026-11-30",
                "tonnes": "5000", "source": "铁路运单 2026-11"}  # fmt: skip
        async with officer.post(f"{base}/reports/tonnage", data=rail, timeout=TIMEOUT) as r:
            assert r.status == 200 and "运输量已录入" in await r.text()
        async with inspector.get(f"{base}/reports", params=month, timeout=TIMEOUT) as r:
            html = await r.text()
        after = section(html, "clean-ratios")
        assert after != before and "目标 80.0%" in after
        assert "铁路 5000.0" in section(html, "clean-other") and "铁路运单 2026-11" in section(
            html, "tonnage-entries"
        )
        assert "国四及以下" in section(html, "clean-road") and 'id="tonnage-form"' not in html
        async with inspector.post(f"{base}/reports/tonnage", data=rail, timeout=TIMEOUT) as r:
            assert r.status == 403

        # Alert periods and carrier scorecards, in words.
        async with officer.get(f"{base}/reports", params={**month, "report": "alerts"}, timeout=TIMEOUT) as r:
            periods = section(await r.text(), "alert-periods")
        assert "橙色预警" in periods and "橙色预警二级响应" in periods and "2026-11-10 08:00:00" in periods
        async with officer.get(
            f"{base}/reports", params={**month, "report": "carriers"}, timeout=TIMEOUT
        ) as r:
            carriers = section(await r.text(), "carriers")
        assert "顺达物流" in carriers and "国四 柴油" in carriers

        # English: the tabs, the period and the labels.
        async with officer.get(f"{base}/reports", params={**query, "lang": "en"}, timeout=TIMEOUT) as r:
            html = await r.text()
        assert "Carrier scorecards" in text_of(html) and "Per day" in text_of(html)
        stages = section(html, "stat-by-stage")
        assert "China V diesel" in stages and "国" not in stages
        assert "Transport vehicle" in section(html, "stat-by-class")
        # A custom period without its end is refused with the field named.
        async with officer.get(f"{base}/reports", params={**query, "end": ""}, timeout=TIMEOUT) as r:
            assert r.status == 400 and "required" in await r.text()
    finally:
        await officer.close()
        await inspector.close()
