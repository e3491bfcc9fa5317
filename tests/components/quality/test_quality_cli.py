"""`ecogate report quality --date D` and `ecogate export chain` as an engineer runs them, hub up or not."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hub.components.ledger.chain import RECORD_CHAIN, row_hash
from hub.core import ManualClock
from tests.components.ledger.test_ledger_cli import ecogate
from tests.conftest import write_config

TZ = ZoneInfo("Asia/Shanghai")
CONFIG = (
    "hub:\n  name: 命令行测试\nledger:\nquality:\n  check_seconds: 3600\n"
    "reports:\n  schedule_enabled: false\n"
)


def _exit(plate: str) -> dict[str, Any]:
    return {
        "passage_id": str(uuid.uuid4()), "gate": "east_gate", "lane": "out", "direction": "out",
        "plate": plate, "vehicle_class": "transport", "decision": "allow",
        "images": {"plate": b"\xff\xd8\xff\xe0plate" + plate.encode(), "scene": b"\xff\xd8\xff\xe0scene"},
    }  # fmt: skip


async def test_report_quality_and_export_chain(make_hub: Any, tmp_path: Path) -> None:
    config_dir = write_config(tmp_path / "plant", CONFIG)
    clock = ManualClock(datetime(2026, 10, 5, 9, 0, tzinfo=TZ))
    hub = await make_hub(config_dir=config_dir, text=CONFIG, clock=clock)
    await hub.services.async_call("ledger", "record_passage", _exit("冀B12345"))  # no entry before it
    clock.set(datetime(2026, 10, 5, 10, 0, tzinfo=TZ))
    await hub.services.async_call("ledger", "record_passage", _exit("冀B54321"))

    # With the hub running, the command goes through it (its services, roles and audit).
    code, out = await ecogate("report", "quality", "--date", "2026-10-05", "-c", str(config_dir))
    assert code == 0 and "exit_without_entry" in out and "冀B12345" in out, out
    state = hub.states.get("sensor.quality_exit_without_entry")
    assert state is not None and state.state == "2"
    live = tmp_path / "export-live"
    code, out = await ecogate(
        "export",
        "chain",
        "--from",
        "2026-10-05",
        "--to",
        "2026-10-06",
        "--out",
        str(live),
        "-c",
        str(config_dir),
    )
    assert code == 0, out
    assert len(json.loads((live / "chain.json").read_text(encoding="utf-8"))["rows"]) == 2
    await hub.async_stop()

    code, out = await ecogate("report", "quality", "--date", "2026-10-05", "-c", str(config_dir), "--json")
    assert code == 0, out
    result = json.loads(out[out.index("{") :])
    assert result["summary"]["rules"]["exit_without_entry"]["found"] == 2
    exits = {f["subject"] for f in result["findings"]["items"] if f["rule"] == "exit_without_entry"}
    assert exits == {"冀B12345", "冀B54321"}
    code, out = await ecogate("report", "quality", "--date", "2026-10-05", "-c", str(config_dir))
    assert code == 0 and "exit_without_entry" in out and "冀B12345" in out, out

    target = tmp_path / "export"
    code, out = await ecogate(
        "export", "chain", "--from", "2026-10-05", "--to", "2026-10-06", "--out", str(target),
        "-c", str(config_dir),
    )  # fmt: skip
    assert code == 0, out
    doc = json.loads((target / "chain.json").read_text(encoding="utf-8"))
    assert [r[9] for r in doc["rows"] if r[1] == "passage"] == ["冀B12345", "冀B54321"]
    assert all(row_hash(RECORD_CHAIN, r[:-1]) == r[-1] for r in doc["rows"])
    assert (target / "verifier.html").is_file()
