"""The console's lines for a gate watcher: an RFID read says which tag it was, not a plate confidence."""

from __future__ import annotations

import io

from hub.components import console
from hub.core import Context
from hub.core.const import EVENT_GATE_DECISION, EVENT_PLATE_READ

TAG = "E2003412B802011712345678"


def _read(read_id: str, plate: str, rfid: str | None) -> dict[str, object]:
    return {
        "read_id": read_id, "gate": "north_gate", "lane": "machinery", "direction": "in", "plate": plate,
        "colour": "unknown" if not plate else "blue", "confidence": None if not plate else 0.97,
        "needs_review": False, "source": "sensor.north_machinery_rfid_tag", "captured_at": "", "read_at": "",
        "photos": {}, "rfid": rfid,
    }  # fmt: skip


def _decision(read_id: str, plate: str) -> dict[str, object]:
    return {
        "passage_id": None, "read_id": read_id, "seq": None, "gate": "north_gate", "lane": "machinery",
        "direction": "in", "plate": plate, "colour": "unknown", "vehicle_class": "machinery",
        "decision": "allow", "allowed": True, "reason_code": "registered", "reason_text": "在册",
        "rule": None, "alert_level": "none", "needs_review": False,
    }  # fmt: skip


async def test_a_tag_read_shows_its_tag_and_its_decision_the_register_entry(make_hub) -> None:
    hub = await make_hub()
    out = io.StringIO()
    await console.async_setup(hub, console.ConsoleConfig(), stream=out)
    hub.bus.async_fire(EVENT_PLATE_READ, _read("r1", "", TAG), Context(id="r1"))  # type: ignore[arg-type]
    hub.bus.async_fire(EVENT_GATE_DECISION, _decision("r1", "DEMO00042"), Context(id="r1"))  # type: ignore[arg-type]
    hub.bus.async_fire(EVENT_PLATE_READ, _read("r2", "蒙FA20PS", TAG), Context(id="r2"))  # type: ignore[arg-type]
    hub.bus.async_fire(EVENT_GATE_DECISION, _decision("r2", "蒙FA20PS"), Context(id="r2"))  # type: ignore[arg-type]
    await hub.async_block_till_done()
    lines = [" ".join(line.split()) for line in out.getvalue().splitlines()]
    tag_read, tag_decision, plate_read, plate_decision = lines
    assert f"识别 tag 电子标签 {TAG}" in tag_read
    assert "[unknown]" not in tag_read and "0.00" not in tag_read
    assert f"放行 ALLOW DEMO00042 (电子标签 {TAG})" in tag_decision
    # A camera's read (with the lane's tag riding along) is a plate read as before.
    assert "识别 read 蒙FA20PS [blue] 0.97" in plate_read
    assert "电子标签" not in plate_decision and "放行 ALLOW 蒙FA20PS" in plate_decision
