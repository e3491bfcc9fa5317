"""`ecogate vehicles import|export` as an officer runs them while the hub keeps running (through it), and
with no hub running (on the plant's data, which the command then owns)."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import sys

from hub.components.vehicles.const import EVENT_REGISTER_CHANGED
from tests.components.vehicles.conftest import call, transport, vehicles_yaml
from tests.components.vehicles.test_vehicles_import import xlsx
from tests.conftest import REPO, write_config


async def ecogate(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", *args, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode or 0, out.decode("utf-8", "replace")


async def test_import_and_export_from_the_command_line_reach_the_running_hub(make_hub, tmp_path) -> None:
    text = vehicles_yaml()
    config_dir = write_config(tmp_path / "plant", text)
    hub = await make_hub(text, config_dir=config_dir)
    await call(hub, "upsert", {"class": "transport", "record": transport(1)})

    headers = ["车牌号码", "车牌颜色", "车辆类型", "车辆识别代号", "注册登记日期", "燃料类型", "排放阶段"]
    headers.append("联网状态")
    rows = [
        ["冀B00002", "黄", "重型自卸货车", transport(2)["vin"], "20200101", "天然气", "国六", "否"],
        ["冀B00003", "黄", "重型自卸货车", "LFWADRJF0J0000000", "20200101", "柴油", "国五", ""],
    ]
    source = tmp_path / "运输车辆.xlsx"
    source.write_bytes(xlsx(headers, rows))
    arrived = asyncio.create_task(
        hub.bus.async_wait_for(EVENT_REGISTER_CHANGED, lambda e: e.data["key"] == "冀B00002", timeout=30)
    )
    await asyncio.sleep(0)  # the listener is in place before the command runs
    code, out = await ecogate("vehicles", "import", "transport", str(source), "-c", str(config_dir))
    assert code == 1, out  # a row was rejected; the good one went in
    assert "新增 created 1" in out and "第3行 row 3" in out and "check digit" in out, out

    event = await arrived  # the command handed the file to the running hub: its register changed at once
    assert event.data["action"] == "created" and event.data["user_id"] is None
    found = await call(hub, "lookup", {"plate": "冀B00002"})
    assert found["fuel"] == "E" and found["network_status"] is False
    history = await call(hub, "history", {"key": "冀B00002"})
    assert history["items"][0]["door"] == "cli" and "运输车辆.xlsx row 2" in history["items"][0]["source"]

    target = tmp_path / "导出.csv"
    code, out = await ecogate("vehicles", "export", "transport", str(target), "-c", str(config_dir))
    assert code == 0 and "导出 2 条" in out, out
    lines = list(csv.reader(io.StringIO(target.read_bytes().decode("utf-8-sig"))))
    assert [line[0] for line in lines] == ["车牌号码", "冀B00001", "冀B00002"]
    assert lines[2][lines[0].index("燃料类型")] == "天然气"

    bare = write_config(tmp_path / "bare", "hub:\n  name: 无登记簿\n")
    code, out = await ecogate("vehicles", "export", "transport", str(target), "-c", str(bare))
    assert code == 1 and "no `vehicles:` section" in out, out


async def test_import_with_no_hub_running_is_there_when_the_hub_starts(make_hub, tmp_path) -> None:
    text = vehicles_yaml()
    config_dir = write_config(tmp_path / "plant", text)
    headers = ["车牌号码", "车牌颜色", "车辆类型", "车辆识别代号", "注册登记日期", "燃料类型", "排放阶段"]
    row = ["冀B00004", "黄", "重型自卸货车", transport(4)["vin"], "20200101", "天然气", "国六"]
    source = tmp_path / "运输车辆.xlsx"
    source.write_bytes(xlsx(headers, [row]))
    code, out = await ecogate("vehicles", "import", "transport", str(source), "-c", str(config_dir))
    assert code == 0 and "新增 created 1" in out, out
    hub = await make_hub(text, config_dir=config_dir)
    assert (await call(hub, "lookup", {"plate": "冀B00004"}))["fuel"] == "E"
    (item,) = (await call(hub, "history", {"key": "冀B00004"}))["items"]
    assert item["door"] == "cli" and "运输车辆.xlsx row 2" in item["source"]
