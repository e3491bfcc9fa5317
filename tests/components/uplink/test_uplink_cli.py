"""`ecogate uplink status` as an officer runs it beside a running hub."""

from __future__ import annotations

import json

from tests.common import wait_state
from tests.components.ledger.test_ledger_cli import ecogate
from tests.components.uplink.conftest import passage, record, uplink_yaml


async def test_status_on_the_command_line(make_hub, clock, sim, tmp_path) -> None:
    sim.reject(plates=["冀B00001"])
    config_dir = tmp_path / "plant"
    hub = await make_hub(uplink_yaml(sim.url), clock=clock, config_dir=config_dir)
    for n in range(4):
        await record(hub, passage(n))
    await wait_state(hub, "sensor.uplink_province_pending", lambda s: s == "0")
    await wait_state(hub, "sensor.uplink_province_rejected_today", lambda s: s == "1")
    code, out = await ecogate("uplink", "status", "-c", str(config_dir), "--date", "2026-11-24")
    assert code == 0, out
    assert "平台 platform province" in out and "2026-11-24" in out and "75.0%" in out, out
    assert "冀B00001" in out and "与备案信息不符" in out, out
    code, out = await ecogate("uplink", "status", "-c", str(config_dir), "--json", "--date", "2026-11-24")
    day = json.loads(out)["platforms"][0]["days"][0]
    assert (day["due"], day["acknowledged"], day["rejected"], day["pending"]) == (4, 3, 1, 0)
    code, out = await ecogate("uplink", "status", "-c", str(config_dir), "--platform", "city")
    assert code == 2 and "no platform 'city'" in out  # bad input, whichever door answers
