"""Hostile and odd files at the register's import (issue 20): refused with a reason, the hub's memory
untouched, a file that needs more memory than allowed ends a worker process and not the hub, and
what is imported is stored as given."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from openpyxl import Workbook

from hub.core import ServiceValidationError
from hub.core.auth import Role
from tests.components.vehicles.conftest import call, transport
from tests.components.vehicles.test_vehicles_cli import ecogate
from tests.components.vehicles.test_vehicles_import import headers_of, xlsx
from tests.conftest import write_config
from tests.ui.conftest import PASSWORDS, add_role_users, browser_like_session, ui_url

GROWTH_BOUND = 64 * 2**20  # the hub may grow by this much while refusing a hostile file


def rss() -> int:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE")


def transport_row(n: int, **overrides: Any) -> list[Any]:
    record = transport(n, **overrides)
    return [record.get(name) for name in TRANSPORT_NAMES]


TRANSPORT_NAMES = [
    "plate", "colour", "vehicle_type", "vin", "engine_no", "registration_date", "brand_model", "fuel",
    "emission_stage", "usage", "gross_mass_kg", "kerb_mass_kg", "rated_load_kg", "towing_mass_kg", "owner",
    "fleet", "network_status", "obd",
]  # fmt: skip


def wide_sheet(rows: int) -> bytes:
    """A small workbook whose sheet claims all 16,384 columns: a reader pads every row to that width."""
    book = Workbook()
    sheet = book.active
    sheet.append(headers_of("transport")[:3])
    for n in range(rows):
        sheet.append([f"冀B{n:05d}", "黄", "重型半挂牵引车"])
    sheet.cell(row=rows + 2, column=16_384, value="x")  # the sheet's dimension becomes A1:XFD...
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def with_shared_strings(content: bytes, inflated: int) -> bytes:
    """The same workbook with a shared-strings part that inflates to `inflated` bytes."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename != "xl/sharedStrings.xml":
                target.writestr(info, source.read(info.filename))
        with target.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
            chunk = b"A" * 2**20
            for _ in range(inflated // len(chunk)):
                part.write(chunk)
            part.write(b"</t></si></sst>")
    return out.getvalue()


def plain_workbook() -> bytes:
    return xlsx(transport_headers(), [transport_row(1), transport_row(2, vin="LFWADRJF0J0000000")])


def transport_headers() -> list[str]:
    """The headers in the order of TRANSPORT_NAMES."""
    from hub.components.vehicles.fields import FIELDS, VehicleClass

    by_name = {f.name: f.header for f in FIELDS[VehicleClass.TRANSPORT]}
    return [by_name[name] for name in TRANSPORT_NAMES]


async def import_plain(hub: Any) -> dict[str, Any]:
    data = {"class": "transport", "content": plain_workbook(), "filename": "a.xlsx"}
    return await call(hub, "import", data)


async def refused(hub: Any, content: bytes, filename: str, service: str = "import") -> str:
    data: dict[str, Any] = {"content": content, "filename": filename}
    if service == "import":
        data["class"] = "transport"
    with pytest.raises(ServiceValidationError) as caught:
        await call(hub, service, data)
    return str(caught.value)


async def test_a_sheet_claiming_16384_columns_is_refused_without_the_hub_growing(vehicles_hub) -> None:
    hub = await vehicles_hub()
    content = wide_sheet(3000)
    assert len(content) < 400_000
    before = rss()
    reason = await refused(hub, content, "宽表.xlsx")
    assert "16384 columns" in reason and "列数过多" in reason, reason
    assert rss() - before < GROWTH_BOUND

    # the same door still takes a normal file, bad rows reported by number as before
    report = await import_plain(hub)
    assert (report["created"], report["rejected"], report["errors"][0]["row"]) == (1, 1, 3), report


@pytest.mark.parametrize("service", ["import", "blacklist_import"])
async def test_shared_strings_inflating_to_80_mib_are_refused_before_reading(vehicles_hub, service) -> None:
    hub = await vehicles_hub()
    content = with_shared_strings(plain_workbook(), 80 * 2**20)
    assert len(content) < 1_000_000
    before = rss()
    reason = await refused(hub, content, "炸弹.xlsx", service)
    assert "inflate" in reason, reason
    assert rss() - before < GROWTH_BOUND


async def test_a_file_needing_more_memory_than_allowed_ends_the_worker_not_the_hub(vehicles_hub) -> None:
    # Within every declared limit (a plain CSV of 60,000 rows), yet more than the worker may use.
    hub = await vehicles_hub("import_memory_mb: 256")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(transport_headers())
    for n in range(60_000):
        writer.writerow([f"{n:07d}-{c:02d}-xxxxxxxxxxxxxxxxxxxxxxxx" for c in range(len(TRANSPORT_NAMES))])
    content = out.getvalue().encode("utf-8")
    before = rss()
    reason = await refused(hub, content, "大文件.csv")
    assert "256 MiB" in reason and "内存" in reason, reason
    assert rss() - before < GROWTH_BOUND
    report = await import_plain(hub)
    assert report["created"] == 1


async def test_a_csv_line_of_100000_fields_is_refused(vehicles_hub) -> None:
    hub = await vehicles_hub()
    header = ",".join(transport_headers())
    content = f"{header}\r\n{'x,' * 100_000}x\r\n".encode()
    reason = await refused(hub, content, "长行.csv")
    assert "line 2" in reason and "行过长" in reason, reason


async def test_the_command_line_refuses_a_hostile_file_with_exit_code_2(make_hub, tmp_path) -> None:
    config_dir = write_config(tmp_path / "plant", "hub:\n  name: cli\nvehicles:\n")
    source = tmp_path / "宽表.xlsx"
    source.write_bytes(wide_sheet(50))
    code, out = await ecogate("vehicles", "import", "transport", str(source), "-c", str(config_dir))
    assert code == 2 and "16384 columns" in out, out


# ----- what was given is stored, or refused with a reason -----------------------------------------------
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_a_leading_control_character_is_refused_not_trimmed(vehicles_hub, fmt: str) -> None:
    hub = await vehicles_hub()
    rows = [transport_row(1, owner="\t=1+1"), transport_row(2, owner="=1+1")]
    if fmt == "xlsx":
        book = Workbook()
        for row in [transport_headers(), *rows]:
            book.active.append(row)
        for cell in book.active[f"O2:O{len(rows) + 1}"]:  # the owner column: text, as Excel keeps '=1+1
            cell[0].data_type = "s"
        out = io.BytesIO()
        book.save(out)
        content = out.getvalue()
    else:
        out = io.StringIO()
        csv.writer(out).writerows([transport_headers(), *rows])
        content = out.getvalue().encode("utf-8")
    report = await call(hub, "import", {"class": "transport", "content": content, "filename": f"a.{fmt}"})
    assert report["created"] == 1 and [e["row"] for e in report["errors"]] == [2], report
    assert "U+0009" in report["errors"][0]["reason"], report
    assert await call(hub, "lookup", {"plate": "冀B00001"}) is None
    assert (await call(hub, "get", {"key": "冀B00002"}))["owner"] == "=1+1"  # stored as given


async def test_a_control_character_in_a_record_or_a_blacklist_reason_is_refused(vehicles_hub) -> None:
    hub = await vehicles_hub()
    report = await call(hub, "import", {"class": "transport", "records": [transport(1, note="\x1b[2J旧")]})
    assert report["rejected"] == 1 and "U+001B" in report["errors"][0]["reason"], report
    content = "车牌号码,车牌颜色,原因\r\n冀B00009,黄,\t=HYPERLINK()\r\n".encode()
    report = await call(hub, "blacklist_import", {"content": content, "filename": "black.csv"})
    assert report["rejected"] == 1 and "U+0009" in report["errors"][0]["reason"], report


async def test_formula_like_values_are_stored_as_given_and_exported_as_text(vehicles_hub) -> None:
    hub = await vehicles_hub()
    given = {1: "=1+1", 2: "+SUM(A1)", 3: "@cmd", 4: "-2+3"}
    records = [transport(n, owner=text) for n, text in given.items()]
    assert (await call(hub, "import", {"class": "transport", "records": records}))["created"] == 4
    for n, text in given.items():
        assert (await call(hub, "get", {"key": f"冀B{n:05d}"}))["owner"] == text
    exported = await call(hub, "export", {"class": "transport", "format": "csv"})
    lines = list(csv.reader(io.StringIO(exported["content"].decode("utf-8-sig"))))
    column = lines[0].index(transport_headers()[TRANSPORT_NAMES.index("owner")])
    assert sorted(line[column] for line in lines[1:]) == sorted("'" + text for text in given.values())


async def test_the_hmi_shows_the_refusal_of_a_hostile_file(make_hub) -> None:
    hub = await make_hub("hub: {name: 导入测试}\nledger:\nvehicles:\nui: {port: 0}\n")
    await add_role_users(hub)
    base = ui_url(hub)
    async with browser_like_session() as officer:
        login = {"username": "officer", "password": PASSWORDS[Role.OFFICER], "next": "/vehicles"}
        async with officer.post(f"{base}/login", data=login) as response:
            assert response.status == 200
        form = aiohttp.FormData()
        form.add_field("file", wide_sheet(100), filename="宽表.xlsx")
        async with officer.post(f"{base}/vehicles/transport/import", data=form) as response:
            assert response.status == 400
            page = await response.text()
    assert "列数过多" in page and "16384" in page
