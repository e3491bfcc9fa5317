"""The register page and the reports page over real HTTP, as an officer, a guard and an inspector."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import aiohttp
import openpyxl

from hub.core.auth import Role
from tests.components.ledger.conftest import passage
from tests.components.vehicles.conftest import transport, vin
from tests.ui.conftest import add_role_users, signed_in, ui_url

CONFIG = """\
hub: {name: 台账页面测试钢厂}
ledger:
vehicles:
ui: {port: 0}
"""


def _form(record: dict) -> dict[str, str]:
    return {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in record.items()}


async def test_register_add_list_import_export(make_hub) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    officer = await signed_in(base, Role.OFFICER)
    guard = await signed_in(base, Role.GUARD)
    try:
        # A bad VIN is shown next to its field, the rest of the form kept.
        bad = _form(transport(1, vin="LFWADRJF0J0000000"))
        async with officer.post(f"{base}/vehicles/transport/save", data=bad) as response:
            assert response.status == 400
            page = await response.text()
        assert re.search(r'data-field="vin">[^<]+<', page) and 'value="冀B00001"' in page
        async with officer.post(f"{base}/vehicles/transport/save", data=_form(transport(1))) as response:
            assert response.status == 200 and response.url.path == "/vehicles/transport/冀B00001"
            page = await response.text()
        assert "已新增登记" in page and "修改历史" in page and "国六" in page

        async with officer.get(f"{base}/vehicles", params={"tab": "transport", "q": "B0000"}) as response:
            page = await response.text()
        assert "冀B00001" in page and 'id="add-record"' in page and "进出厂运输车辆" in page
        async with officer.get(f"{base}/vehicles", params={"tab": "transport", "emission_stage": "5"}) as r:
            assert "冀B00001" not in await r.text()

        # Guards read but change nothing: no edit buttons, and a forged post is refused.
        async with guard.get(f"{base}/vehicles", params={"tab": "transport"}) as response:
            page = await response.text()
        assert "冀B00001" in page and 'id="add-record"' not in page and 'id="import-form"' not in page
        async with guard.post(f"{base}/vehicles/transport/save", data=_form(transport(2))) as response:
            assert response.status == 403 and "无权" in await response.text()

        # Import: row 3 of the file (the second data row) has a bad stage, and is named by its number.
        rows = [["车牌号码", "车牌颜色", "车辆类型", "车辆识别代号", "注册登记日期", "燃料类型", "排放阶段"],
                ["冀B00003", "黄色", "重型半挂牵引车", vin(3), "2021-05-01", "柴油", "国五"],
                ["冀B00004", "黄色", "重型半挂牵引车", vin(4), "2021-05-01", "柴油", "国九"],
                ["冀B00001", "黄色", "重型半挂牵引车", vin(1), "2021-05-01", "柴油", "国五"]]  # fmt: skip
        text = io.StringIO()
        csv.writer(text).writerows(rows)
        form = aiohttp.FormData()
        form.add_field("file", text.getvalue().encode("utf-8"), filename="车辆.csv", content_type="text/csv")
        async with officer.post(f"{base}/vehicles/transport/import", data=form) as response:
            assert response.status == 200
            page = await response.text()
        assert re.search(r'id="count-created">1<', page) and re.search(r'id="count-updated">1<', page)
        assert re.search(r'id="count-rejected">1<', page)
        assert re.search(r'<td class="num">3</td><td>[^<]*排放阶段', page)

        async with officer.get(f"{base}/vehicles/transport/export", params={"format": "xlsx"}) as response:
            assert response.status == 200
            assert "attachment" in response.headers["Content-Disposition"]
            content = await response.read()
        book = openpyxl.load_workbook(io.BytesIO(content))
        plates = {c.value for row in book.active.iter_rows() for c in row if str(c.value).startswith("冀B")}
        assert plates == {"冀B00001", "冀B00003"}
        # The export goes back in unchanged.
        form = aiohttp.FormData()
        form.add_field("file", content, filename="export.xlsx")
        async with officer.post(f"{base}/vehicles/transport/import", data=form) as response:
            page = await response.text()
        assert re.search(r'id="count-unchanged">2<', page) and re.search(r'id="count-rejected">0<', page)

        # Blacklist and a temporary pass, added and taken off again.
        data = {"plate": "冀B00003", "colour": "yellow", "reason": "超标排放"}
        async with officer.post(f"{base}/vehicles/lists/blacklist/add", data=data) as response:
            page = await response.text()
        assert "已加入黑名单" in page and "超标排放" in page
        async with officer.get(f"{base}/vehicles", params={"tab": "transport", "q": "00003"}) as response:
            assert "decision-deny" in await response.text()
        async with officer.post(f"{base}/vehicles/lists/blacklist/remove", data={"plate": "冀B00003"}) as r:
            assert "已移出黑名单" in await r.text()
        until = (hub.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        data = {"plate": "冀B09999", "valid_until": until, "reason": "抢险物资", "approver": "王工"}
        async with officer.post(f"{base}/vehicles/lists/pass/add", data=data) as response:
            page = await response.text()
        assert "已发放临时通行证" in page and "冀B09999" in page
        entry_id = re.search(r'name="id" value="(\d+)"', page).group(1)
        async with officer.post(f"{base}/vehicles/lists/pass/remove", data={"id": entry_id}) as response:
            page = await response.text()
        assert "已撤销临时通行证" in page and "冀B09999" not in page
    finally:
        await officer.close()
        await guard.close()


async def test_reports_page_and_download(make_hub, clock) -> None:
    hub = await make_hub(CONFIG, clock=clock)
    await add_role_users(hub)
    for n in range(4):
        data = passage(n, decision="deny" if n == 3 else "allow")
        await hub.services.async_call("ledger", "record_passage", data)
    base = ui_url(hub)
    inspector = await signed_in(base, Role.INSPECTOR)
    guard = await signed_in(base, Role.GUARD)
    try:
        async with inspector.get(f"{base}/reports") as response:
            page = await response.text()
        assert re.search(r'id="total-entries">4<', page) and re.search(r'id="total-denied">1<', page)
        async with inspector.get(f"{base}/reports", params={"report": "sample", "size": "5"}) as response:
            page = await response.text()
        assert page.count('class="passage-link"') == 4 and "4 / 4" in page
        link = re.search(r'class="passage-link" href="([^"]+)"', page).group(1).replace("&amp;", "&")
        async with inspector.get(f"{base}{link}") as response:
            assert response.status == 200 and "冀B0000" in await response.text()
        at = clock.now().strftime("%Y-%m-%dT%H:%M")
        params = {"report": "window", "at": at, "minutes": "5", "gate": "east_gate", "lane": "in"}
        async with inspector.get(f"{base}/reports", params=params) as response:
            assert (await response.text()).count('class="passage-link"') == 4
        async with inspector.get(f"{base}/reports/download", params={**params, "format": "xlsx"}) as response:
            assert response.status == 200
            sheet = openpyxl.load_workbook(io.BytesIO(await response.read())).active
        values = list(sheet.iter_rows(values_only=True))
        assert "台账页面测试钢厂" in values[1][0] and len(values) == 3 + 4
        async with inspector.get(f"{base}/reports/download", params={"format": "csv"}) as response:
            text = (await response.read()).decode("utf-8-sig")
        assert "入厂,4" in text.replace('"', "")
        async with guard.get(f"{base}/reports") as response:
            assert response.status == 403
    finally:
        await inspector.close()
        await guard.close()


async def test_the_sample_downloaded_is_the_sample_on_screen(make_hub) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    for n in range(30):
        await hub.services.async_call("ledger", "record_passage", passage(n))
    base = ui_url(hub)
    inspector = await signed_in(base, Role.INSPECTOR)
    try:
        async with inspector.get(f"{base}/reports", params={"report": "sample", "size": "5"}) as response:
            page = await response.text()
        shown = set(re.findall(r'class="passage-link" href="/passages/([0-9a-f-]+)', page))
        assert len(shown) == 5
        for fmt in ("csv", "xlsx"):
            link = re.search(rf'id="download-{fmt}" href="([^"]+)"', page).group(1).replace("&amp;", "&")
            async with inspector.get(f"{base}{link}") as response:
                assert response.status == 200
                body = await response.read()
            if fmt == "csv":
                rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[3:]
            else:
                rows = list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))[3:]
            downloaded = {str(cell) for row in rows for cell in row if str(cell) in shown}
            assert downloaded == shown, fmt
    finally:
        await inspector.close()


async def test_a_plate_that_looks_like_a_formula_is_exported_as_text(make_hub, clock) -> None:
    hub = await make_hub(CONFIG, clock=clock)
    await add_role_users(hub)
    await hub.services.async_call("ledger", "record_passage", passage(1, plate="=1+2"))
    base = ui_url(hub)
    inspector = await signed_in(base, Role.INSPECTOR)
    at = clock.now().strftime("%Y-%m-%dT%H:%M")
    params = {"report": "window", "at": at, "minutes": "5", "gate": "east_gate", "lane": "in"}
    try:
        async with inspector.get(f"{base}/reports/download", params={**params, "format": "xlsx"}) as response:
            sheet = openpyxl.load_workbook(io.BytesIO(await response.read())).active
        [cell] = [c for row in sheet.iter_rows() for c in row if c.value == "=1+2"]
        assert cell.data_type == "s"  # text, not a formula
        async with inspector.get(f"{base}/reports/download", params={**params, "format": "csv"}) as response:
            text = (await response.read()).decode("utf-8-sig")
        assert "'=1+2" in text
    finally:
        await inspector.close()
