"""A database of an earlier release, with photos still kept in it (`ledger_evidence_pending`): they
are filed into the evidence store when the ledger starts, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from hub.components.ledger.sql import for_dialect
from tests.components.ledger.conftest import passage


def _path(hub: Any, sha: str) -> Path:
    return hub.data_dir / "evidence" / sha[:2] / sha[2:4] / f"{sha}.jpg"


async def _sql(hub: Any, statement: str, values: list[Any]) -> list[Any]:
    _, rows = await hub.db.connection.execute_query(for_dialect(hub.db.dialect, statement), values)
    return list(rows)


async def _move_into_database(hub: Any, sha: str, content: bytes) -> None:
    """As an earlier release left a photo committed with its row and not filed yet."""
    await _sql(hub, "INSERT INTO ledger_evidence_pending (sha256, content) VALUES (?, ?)", [sha, content])
    _path(hub, sha).unlink()


async def test_photos_left_in_the_database_are_filed_at_start(ledger_hub, tmp_path) -> None:
    config_dir = tmp_path / "plant"
    hub = await ledger_hub(config_dir=config_dir)
    sent = [passage(n) for n in range(3)]
    records = [await hub.services.async_call("ledger", "record_passage", data) for data in sent]
    shas = [{role: hashlib.sha256(c).hexdigest() for role, c in data["images"].items()} for data in sent]
    for role in ("plate", "scene"):
        await _move_into_database(hub, shas[1][role], sent[1]["images"][role])
    # One whose bytes were changed while it sat in the database.
    changed = shas[2]["plate"]
    await _move_into_database(hub, changed, b"\xff\xd8 another picture")
    assert not (await hub.services.async_call("ledger", "verify", {}))["ok"]
    await hub.async_stop()

    hub = await ledger_hub(config_dir=config_dir)
    for role in ("plate", "scene"):
        sha = shas[1][role]
        assert _path(hub, sha).read_bytes() == sent[1]["images"][role]
        served = await hub.services.async_call("ledger", "evidence", {"sha256": sha})
        assert served["data"] == sent[1]["images"][role]
    left = await _sql(hub, "SELECT sha256 FROM ledger_evidence_pending", [])
    assert [r[0] for r in left] == [changed]  # not filed under a hash it does not have
    assert not _path(hub, changed).exists()
    record = (await hub.services.async_call("ledger", "verify", {}))["chains"][0]
    assert record["bad_seq"] == records[2]["seq"] and "missing" in record["problem"], record
