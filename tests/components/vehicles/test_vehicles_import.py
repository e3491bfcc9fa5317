"""Bulk import and export: .xlsx and .csv round trips, bad rows by number, all-or-nothing commits."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from hub.components.vehicles.fields import FIELDS, VehicleClass
from hub.core import HubError, ServiceValidationError
from tests.components.vehicles.conftest import call, in_plant, machinery, transport, vehicles_yaml

SAMPLES = {
    "transport": [
        transport(1),
        transport(2, plate="冀B00002D", colour="yellow_green", fuel="C", emission_stage="D",
                  network_status=None, whitelist="保民生", note="=1+1 不是公式"),
        transport(3, emission_stage="4", fuel="E", special=True, hazardous=True),
    ],
    "in_plant": [in_plant(1), in_plant(2, plate="冀B50002", colour="yellow", env_code="JB00000002")],
    "machinery": [
        machinery(1),
        machinery(2, env_code=None, fuel="C", emission_stage="D", engine_model=None, engine_maker=None,
                  engine_no=None, usable=False, onsite_date="2026-10-01"),
    ],
}  # fmt: skip


def xlsx(headers: list[str], rows: list[list[Any]], title_rows: int = 0) -> bytes:
    book = Workbook()
    sheet = book.active
    for _ in range(title_rows):
        sheet.append(["车辆台账 2026"])
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def headers_of(vclass: str) -> list[str]:
    return [f.header for f in FIELDS[VehicleClass(vclass)]]


async def stored(hub: Any, vclass: str) -> list[dict[str, Any]]:
    result = await call(hub, "list", {"class": vclass, "page_size": 500})
    return [{k: v for k, v in item.items() if k != "updated_ts"} for item in result["items"]]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("vclass", ["transport", "in_plant", "machinery"])
async def test_export_reimports_identically(vehicles_hub, fmt: str, vclass: str) -> None:
    hub = await vehicles_hub()
    first = await call(hub, "import", {"class": vclass, "records": SAMPLES[vclass]})
    assert first["created"] == len(SAMPLES[vclass]) and first["errors"] == [], first
    before = await stored(hub, vclass)

    exported = await call(hub, "export", {"class": vclass, "format": fmt})
    assert exported["rows"] == len(before) and exported["filename"].endswith(f".{fmt}")
    content = exported["content"]
    if fmt == "csv":
        assert content.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
        header = next(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        assert header == headers_of(vclass)
    else:
        sheet = load_workbook(io.BytesIO(content)).active
        assert [c.value for c in sheet[1]] == headers_of(vclass)
        assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)  # nothing runs as a formula

    again = await call(hub, "import", {"class": vclass, "content": content, "filename": exported["filename"]})
    assert (again["unchanged"], again["created"], again["updated"], again["rejected"]) == (
        len(before),
        0,
        0,
        0,
    )
    assert await stored(hub, vclass) == before

    # Into an empty register, the same file gives the same records.
    other = await vehicles_hub()
    await call(other, "import", {"class": vclass, "content": content, "format": fmt})
    assert await stored(other, vclass) == before


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_bad_rows_are_reported_by_number_and_good_rows_go_in(vehicles_hub, fmt: str) -> None:
    hub = await vehicles_hub()
    headers = [
        "车牌号码",
        "车牌颜色",
        "车辆类型",
        "车辆识别代号",
        "注册登记日期",
        "燃料类型",
        "排放阶段",
        "联网状态",
        "车队名称",
    ]
    good = transport(1)
    rows = [
        [good["plate"], "黄牌", "重型半挂牵引车", good["vin"], "20210501", "柴油", "国六", "是", "自有车队"],
        [
            "冀B0001",
            "黄牌",
            "重型半挂牵引车",
            transport(2)["vin"],
            "20210501",
            "柴油",
            "国五",
            "",
            "",
        ],  # row 3
        [],  # blank lines are skipped, but keep their numbers
        [
            "冀B00004",
            "黄牌",
            "重型半挂牵引车",
            transport(4)["vin"],
            "2021-05-01",
            "柴油",
            "国七",
            "",
            "",
        ],  # row 5
        [
            "冀B00001",
            "黄牌",
            "重型半挂牵引车",
            transport(5)["vin"],
            "2021-05-01",
            "柴油",
            "国五",
            "",
            "",
        ],  # row 6
        ["冀B00006", "蓝牌", "Q11", transport(6)["vin"], "2021-05-01", "B", "5", "", "个体"],
    ]
    if fmt == "xlsx":
        content = xlsx(headers, rows, title_rows=1)  # a title line above the header
        numbers = (4, 6, 7)
    else:
        text = "\r\n".join(",".join(r) for r in [headers, *rows])
        content = text.encode("gb18030")  # what Excel saves on a Chinese Windows
        numbers = (3, 5, 6)
    report = await call(hub, "import", {"class": "transport", "content": content, "format": fmt})
    assert (report["total"], report["created"], report["rejected"]) == (5, 2, 3), report
    assert [e["row"] for e in report["errors"]] == list(numbers)
    short, stage, twin = (e["reason"] for e in report["errors"])
    assert "车牌号码" in short and "7 characters" in short
    assert "排放阶段" in stage and "国七" in stage
    assert f"row {numbers[0] - 1}" in twin  # the same plate twice in one file
    assert {i["key"] for i in (await call(hub, "list", {}))["items"]} == {"冀B00001", "冀B00006"}


async def test_import_is_all_or_nothing_when_the_commit_fails(vehicles_hub, tmp_path) -> None:
    plant = tmp_path / "plant"
    hub = await vehicles_hub(config_dir=plant)
    await call(hub, "upsert", {"class": "transport", "record": transport(1)})
    # The history insert fails inside the transaction, after this import's vehicle rows were written.
    refuse = "BEGIN SELECT RAISE(ABORT, 'history refused'); END"
    await hub.db.connection.execute_script(f"CREATE TRIGGER refuse BEFORE INSERT ON vehicle_history {refuse}")
    changed = [transport(1, emission_stage="5"), *(transport(n) for n in range(2, 50))]
    with pytest.raises(HubError, match="the database refused the change"):
        await call(hub, "import", {"class": "transport", "records": changed})
    await hub.db.connection.execute_script("DROP TRIGGER refuse")
    assert (await call(hub, "lookup", {"plate": "冀B00001"}))["emission_stage"] == "6"
    assert await call(hub, "lookup", {"plate": "冀B00002"}) is None
    # Nothing reached the database either: the hub started again on it sees one record.
    await hub.async_stop()
    hub = await vehicles_hub(config_dir=plant)
    assert [i["key"] for i in (await call(hub, "list", {}))["items"]] == ["冀B00001"]
    assert (await call(hub, "lookup", {"plate": "冀B00001"}))["emission_stage"] == "6"


async def test_import_history_and_dry_run(vehicles_hub) -> None:
    hub = await vehicles_hub()
    content = xlsx(headers_of("machinery"), [[]])  # header only
    assert (await call(hub, "import", {"class": "machinery", "content": content}))["total"] == 0
    report = await call(
        hub, "import", {"class": "machinery", "records": SAMPLES["machinery"], "dry_run": True}
    )
    assert report["created"] == 2 and report["dry_run"] is True
    assert (await call(hub, "list", {}))["total"] == 0
    await call(hub, "import", {"class": "machinery", "records": SAMPLES["machinery"]})
    history = await call(hub, "history", {"class": "machinery"})
    assert history["total"] == 2 and {i["source"] for i in history["items"]} == {
        "import row 1",
        "import row 2",
    }


async def test_files_that_are_not_registers_get_a_clear_error(vehicles_hub) -> None:
    hub = await vehicles_hub()
    with pytest.raises(
        ServiceValidationError, match=r"no header row found: is this a 进出厂运输车辆 file.*车牌号码"
    ):
        await call(hub, "import", {"class": "transport", "content": b"a,b\n1,2\n", "format": "csv"})
    with pytest.raises(ServiceValidationError, match="missing required columns: 车辆类型, 车辆识别代号"):
        await call(
            hub, "import", {"class": "transport", "content": "车牌号码,车牌颜色\n冀B00001,黄\n".encode()}
        )
    with pytest.raises(ServiceValidationError, match=r"not a readable \.xlsx"):
        await call(hub, "import", {"class": "transport", "content": b"PK\x03\x04broken", "format": "xlsx"})
    with pytest.raises(ServiceValidationError, match="exactly one"):
        await call(hub, "import", {"class": "transport"})


async def test_platform_blacklist_import_replaces_its_own_entries(vehicles_hub, tmp_path) -> None:
    hub = await vehicles_hub()
    await call(hub, "blacklist_add", {"plate": "冀B99999", "reason": "现场抓拍", "source": "manual"})
    rows = [["冀B00001", "黄", "遥感超标", "2026-12-31"], ["冀B0002", "", "", ""], ["津C12345", "", "", ""]]
    first = xlsx(["车牌号码", "车牌颜色", "超标原因", "有效期至"], rows)
    path = tmp_path / "平台黑名单.xlsx"
    path.write_bytes(first)
    report = await call(hub, "blacklist_import", {"path": str(path)})  # a path: the hub itself only
    assert (report["created"], report["rejected"], report["errors"][0]["row"]) == (2, 1, 3)
    assert (await call(hub, "lookup", {"plate": "冀B00001"}))["blacklist_reason"] == "遥感超标"
    entry = next(e for e in await call(hub, "lists", {"kind": "blacklist"}) if e["plate"] == "冀B00001")
    assert entry["valid_until"] == "2027-01-01T00:00:00+08:00"  # through the end of the named day

    second = "车牌号码,原因\n津C12345,复检仍超标\n".encode("utf-8-sig")
    report = await call(hub, "blacklist_import", {"content": second, "format": "csv"})
    assert (report["created"], report["updated"], report["removed"]) == (0, 1, 1)
    plates = {e["plate"] for e in await call(hub, "lists", {"kind": "blacklist"})}
    assert plates == {"津C12345", "冀B99999"}  # the manual entry is not the platform's to remove


async def test_round_trip_on_postgres(database, make_hub, clock) -> None:
    if not database:
        pytest.skip("the SQLite run is the test above")
    hub = await make_hub(vehicles_yaml(db=database), clock=clock)
    assert "vehicles" in hub.loaded, hub.setup_errors
    await call(hub, "import", {"class": "transport", "records": SAMPLES["transport"]})
    await call(hub, "upsert", {"class": "transport", "record": {"plate": "冀B00001", "fleet": "新车队"}})
    await call(hub, "delete", {"class": "transport", "key": "冀B00003"})
    before = await stored(hub, "transport")
    exported = await call(hub, "export", {"class": "transport", "format": "xlsx"})
    report = await call(hub, "import", {"class": "transport", "content": exported["content"]})
    assert report["unchanged"] == 2 and await stored(hub, "transport") == before
    # What the database holds: a hub started again on it loads the same register.
    await hub.async_stop()
    hub = await make_hub(vehicles_yaml(db=database), clock=clock)
    assert sorted(i["key"] for i in (await call(hub, "list", {}))["items"]) == ["冀B00001", "冀B00002D"]
    assert (await call(hub, "lookup", {"plate": "冀B00001"}))["fleet"] == "新车队"


async def test_a_big_import_is_planned_and_applied_off_the_loop(vehicles_hub, tmp_path) -> None:
    hub = await vehicles_hub(config_dir=tmp_path / "plant")
    events: list[str] = []
    hub.bus.async_listen("register_changed", lambda e: events.append(e.data["action"]))
    first = [transport(n) for n in range(1, 301)]  # more than the register commits inline
    assert (await call(hub, "import", {"class": "transport", "records": first}))["created"] == 300
    second = [transport(n, fleet="新车队") for n in range(151, 451)]
    report = await call(hub, "import", {"class": "transport", "records": second})
    assert (report["created"], report["updated"], report["unchanged"]) == (150, 150, 0)
    assert events.count("created") == 450 and events.count("updated") == 150
    assert (await call(hub, "lookup", {"plate": "冀B00450"}))["fleet"] == "新车队"
    assert (await call(hub, "lookup", {"plate": "冀B00001"}))["fleet"] == "唐山顺达物流有限公司"
    history = await call(hub, "history", {"key": "冀B00200"})
    assert [i["action"] for i in history["items"]] == ["updated", "created"]
    assert history["items"][0]["changes"] == {"fleet": ["唐山顺达物流有限公司", "新车队"]}
    await hub.async_stop()
    hub = await vehicles_hub(config_dir=tmp_path / "plant")  # what the database holds
    assert (await call(hub, "list", {}))["total"] == 450
