"""The RFID tag seen with a read, on its passage row (`rfid`, added 2026-12): a database made before the
column gets it at start, its rows still verify, and a tag is sealed in the chain like every column."""

from __future__ import annotations

from typing import Any

from hub.components.ledger.sql import for_dialect
from tests.components.ledger.conftest import passage

TAG = "E2003412B802011700006006"


async def _sql(hub: Any, statement: str) -> None:
    await hub.db.connection.execute_script(for_dialect(hub.db.dialect, statement))


async def test_a_ledger_from_before_the_tag_column_gets_it_and_still_verifies(ledger_hub, tmp_path) -> None:
    config_dir = tmp_path / "plant"
    hub = await ledger_hub(config_dir=config_dir)
    for n in range(3):
        await hub.services.async_call("ledger", "record_passage", passage(n))
    await _sql(hub, "ALTER TABLE ledger_record DROP COLUMN rfid")  # as an earlier release made it
    await hub.async_stop()

    hub = await ledger_hub(config_dir=config_dir)
    tagged = await hub.services.async_call("ledger", "record_passage", passage(3, rfid=TAG))
    rows = await hub.services.async_call("ledger", "read_records", {"after_seq": 0, "limit": 10})
    assert [r["rfid"] for r in rows] == [None, None, None, TAG]
    assert (await hub.services.async_call("ledger", "verify", {}))["ok"]

    await _sql(hub, f"UPDATE ledger_record SET rfid = 'E200FFFF00000000' WHERE seq = {tagged['seq']}")
    report = await hub.services.async_call("ledger", "verify", {})
    record = report["chains"][0]
    assert (record["ok"], record["bad_seq"]) == (False, tagged["seq"]), record
