"""The register's refusals in the page's language only: the record form (a bad plate, a missing field, an
unknown code value), the bulk import's result table (xlsx and CSV, several kinds of bad rows) and a file it
cannot read, an unreadable QR code, a blacklist entry without a reason or with a bad plate. The register
answers other doors with its bilingual sentence; the Chinese page shows none of its English half, the
English page none of its Chinese half (the plant's own data, such as a plate, excepted)."""

from __future__ import annotations

import html
import re
from typing import Any

import aiohttp
import pytest

from hub.components.vehicles.fields import FIELDS, VehicleClass
from hub.components.vehicles.tabular import write_table
from hub.core.auth import Role
from tests.components.vehicles.conftest import transport
from tests.ui.conftest import add_role_users, signed_in, ui_url

CONFIG = "hub: {name: 台账文字测试钢厂}\nledger:\nvehicles:\nui: {port: 0}\n"
TIMEOUT = aiohttp.ClientTimeout(total=30)
# The English halves of the register's sentences, and the Chinese ones, that must not cross languages.
ENGLISH = ("invalid plate", "required", "unknown", "not in the code", "a plate has", "emission-list code",
           "same plate", "expected", "Field required")  # fmt: skip
CHINESE = ("车牌号码无效", "必填", "不在代码表中", "车牌应为", "随车清单二维码", "重复", "原因", "日期")


def text_of(markup: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup)).strip())


def form_of(record: dict[str, Any]) -> dict[str, str]:
    return {k: ("true" if v is True else "false" if v is False else str(v)) for k, v in record.items()}


def field_errors(page: str) -> dict[str, str]:
    found = re.findall(r'<span class="field-error" data-field="(\w+)">(.*?)</span>', page, re.S)
    return {name: text_of(text) for name, text in found}


def import_rows(page: str) -> dict[int, str]:
    table = re.search(r'<table class="table" id="import-errors">(.*?)</table>', page, re.S)
    assert table, text_of(page)[-600:]
    rows = re.findall(r'<td class="num">(\d+)</td><td>(.*?)</td>', table.group(1), re.S)
    return {int(row): text_of(text) for row, text in rows}


def alert_of(page: str) -> str:
    found = re.search(r'<div class="error"[^>]*>(.*?)</div>', page, re.S) or re.search(
        r"<main[^>]*>(.*?)</main>", page, re.S
    )
    assert found, page[-500:]
    return text_of(found.group(1))


def only_in(lang: str, text: str) -> None:
    """No half of the other language in `text`."""
    for word in ENGLISH if lang == "zh-CN" else CHINESE:
        assert word.lower() not in text.lower(), (lang, word, text)


def bad_rows() -> tuple[list[str], list[list[Any]]]:
    """A good row, then rows with a bad plate, no VIN, an unknown fuel, a date that does not exist and the
    good row's plate again."""
    specs = FIELDS[VehicleClass.TRANSPORT]
    rows = [
        transport(1),
        transport(2, plate="冀B1"),
        transport(3, vin=""),
        transport(4, fuel="XX"),
        transport(5, registration_date="2021-02-30"),
        transport(1, vin=transport(6)["vin"]),
    ]
    return [s.header for s in specs], [[r.get(s.name) for s in specs] for r in rows]


# Row (as the spreadsheet counts, header row 1) -> what it says, per language.
EXPECTED_ROWS = {
    "zh-CN": {3: "车牌号码无效：车牌应为 7 位", 4: "车辆识别代号必填", 5: "燃料类型“XX”不在代码表中",
              6: "日期“2021-02-30”不存在", 7: "与第 2 行车牌或编码重复"},
    "en": {3: "Invalid plate: A plate has 7 characters", 4: "VIN is required",
           5: "Fuel type “XX” is not in the code list", 6: "There is no date “2021-02-30”",
           7: "Same plate or code as row 2"},
}  # fmt: skip


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_the_register_refuses_in_the_pages_language(make_hub, lang: str) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    officer = await signed_in(base, Role.OFFICER)
    q = {"lang": lang}
    try:
        # The record form: a bad plate, a missing VIN and an unknown fuel, each beside its field.
        form = form_of(transport(9, plate="冀B12", vin="", fuel="XX"))
        async with officer.post(f"{base}/vehicles/transport/save", data=form, params=q, timeout=TIMEOUT) as r:
            assert r.status == 400
            page = await r.text()
        errors = field_errors(page)
        assert set(errors) >= {"plate", "vin", "fuel"}, errors
        if lang == "zh-CN":
            assert errors["plate"].startswith("车牌号码无效：车牌应为 7 位（新能源 8 位），“冀B12”为 4 位")
            assert errors["vin"] == "必填" and errors["fuel"] == "不在代码表中，请从列表中选择"
        else:
            assert errors["plate"].startswith("Invalid plate: A plate has 7 characters")
            assert (
                errors["vin"] == "Required"
                and errors["fuel"] == "Not in the code list: choose one from the list"
            )
        for text in errors.values():
            only_in(lang, text)

        # A rule across fields: an electric vehicle with a China 6 stage, in words of the page.
        form = form_of(transport(10, fuel="C", emission_stage="6", colour="green", plate="冀BD12345"))
        async with officer.post(f"{base}/vehicles/transport/save", data=form, params=q, timeout=TIMEOUT) as r:
            assert r.status == 400
            errors = field_errors(await r.text())
        stage = {
            "zh-CN": "纯电动车辆的排放阶段应为“电动”",
            "en": "An electric vehicle's emission stage is “electric”",
        }
        assert errors["emission_stage"] == stage[lang], errors

        # The bulk import, as xlsx and as CSV: each refused row says why in the page's language.
        headers, rows = bad_rows()
        for fmt in ("xlsx", "csv"):
            data = aiohttp.FormData()
            data.add_field("file", write_table(fmt, "台账", headers, rows), filename=f"register.{fmt}")
            data.add_field("dry_run", "1")
            url = f"{base}/vehicles/transport/import"
            async with officer.post(url, data=data, params=q, timeout=TIMEOUT) as r:
                assert r.status == 200
                shown = import_rows(await r.text())
            assert set(shown) == set(EXPECTED_ROWS[lang]), (fmt, shown)
            for row, start in EXPECTED_ROWS[lang].items():
                assert shown[row].startswith(start), (fmt, row, shown[row])
                only_in(lang, shown[row])

        # A file the register cannot read at all.
        data = aiohttp.FormData()
        data.add_field("file", b"\x00\x01binary", filename="register.csv")
        async with officer.post(
            f"{base}/vehicles/transport/import", data=data, params=q, timeout=TIMEOUT
        ) as r:
            assert r.status == 400
            text = alert_of(await r.text())
        assert {"zh-CN": "不是 CSV 文本文件", "en": "Not a CSV text file"}[lang] in text, text
        only_in(lang, text.replace("CSV", ""))

        # An unreadable QR code.
        form = {**form_of(transport(11)), "qr_text": "hello"}
        async with officer.post(f"{base}/vehicles/transport/scan", data=form, params=q, timeout=TIMEOUT) as r:
            assert r.status == 400
            text = text_of(re.search(r'id="form-error">(.*?)</div>', await r.text(), re.S).group(1))
        qr = {
            "zh-CN": "无法读取随车清单二维码：不是随车清单二维码：其中没有车辆识别代号，也没有车辆型号",
            "en": "The emission-list QR code cannot be read: Not an emission-list code: it holds no VIN",
        }
        assert text.startswith(qr[lang]), text

        # A blacklist entry without a reason, and one with a bad plate.
        url = f"{base}/vehicles/lists/blacklist/add"
        async with officer.post(url, data={"plate": "冀B54321"}, params=q, timeout=TIMEOUT) as r:
            assert r.status == 400
            text = text_of(await r.text())
        assert {"zh-CN": "原因: 必填", "en": "Reason: Required"}[lang] in text, text
        assert "Field required" not in text
        async with officer.post(
            url, data={"plate": "冀B5", "reason": "超标"}, params=q, timeout=TIMEOUT
        ) as r:
            assert r.status == 400
            text = text_of(await r.text())
        assert {"zh-CN": "车牌号码无效：车牌应为 7 位", "en": "Invalid plate: A plate has 7 characters"}[
            lang
        ] in text
        assert ("invalid plate" if lang == "zh-CN" else "车牌号码无效") not in text

        # A temporary pass that ended before it was issued.
        url = f"{base}/vehicles/lists/pass/add"
        data = {"plate": "冀B54321", "reason": "临时送货", "valid_until": "2020-01-01T08:00"}
        async with officer.post(url, data=data, params=q, timeout=TIMEOUT) as r:
            assert r.status == 400
            text = text_of(await r.text())
        ended = {
            "zh-CN": "临时通行证有效期须晚于开始时间和当前时间",
            "en": "A temporary pass must end after its start and after now",
        }
        assert ended[lang] in text and ("valid_until must" if lang == "zh-CN" else ended["zh-CN"]) not in text
    finally:
        await officer.close()


async def test_the_api_keeps_its_sentences_and_adds_codes(make_hub) -> None:
    """Other doors read what they always read; an import row also names its faults by code."""
    hub = await make_hub(CONFIG)
    headers, rows = bad_rows()
    content = write_table("csv", "台账", headers, rows)
    result = await hub.services.async_call(
        "vehicles", "import", {"class": "transport", "content": content, "dry_run": True}
    )
    by_row = {e["row"]: e for e in result["errors"]}
    assert by_row[3]["reason"].startswith(
        "车牌号码 plate: 车牌号码无效 invalid plate: a plate has 7 characters"
    )
    assert [p["code"] for p in by_row[3]["problems"]] == ["plate_invalid"]
    required = {"field": "vin", "message": "车辆识别代号必填 required", "code": "required"}
    assert by_row[4]["problems"] == [{**required, "params": {"header": "车辆识别代号"}}]
    assert (
        by_row[5]["problems"][0]["code"] == "unknown_fuel"
        and by_row[5]["problems"][0]["params"]["value"] == "XX"
    )
    assert by_row[7]["problems"][0] == {
        "field": "", "message": "与第2行车牌或编码重复 same plate or code as row 2", "code": "row_twin",
        "params": {"row": "2"},
    }  # fmt: skip


async def test_deleting_a_record_that_is_not_there_says_so_in_english(make_hub) -> None:
    hub = await make_hub(CONFIG)
    await add_role_users(hub)
    base = ui_url(hub)
    officer = await signed_in(base, Role.OFFICER)
    try:
        url = f"{base}/vehicles/transport/冀B99999/delete"
        async with officer.post(
            url, data={"reason": "录入错误"}, params={"lang": "en"}, timeout=TIMEOUT
        ) as r:
            text = text_of(await r.text())
        assert r.status == 400 and "冀B99999 is not in the register" in text and "登记簿中没有" not in text
    finally:
        await officer.close()
