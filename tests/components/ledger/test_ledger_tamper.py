"""`verify` finds each kind of tampering with the stored ledger, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from hub.components.ledger.rows import SELECT_COLUMNS
from hub.components.ledger.sql import for_dialect
from hub.core import Context
from hub.core.auth import Role
from tests.components.ledger.conftest import passage


async def _sql(hub, *statements: str) -> None:
    for statement in statements:
        await hub.db.connection.execute_query(for_dialect(hub.db.dialect, statement))


async def _photo(hub, seq: int):
    _, rows = await hub.db.connection.execute_query(
        f"SELECT photo_plate FROM ledger_record WHERE seq = {seq}"
    )
    sha = rows[0][0]
    return hub.data_dir / "evidence" / sha[:2] / sha[2:4] / f"{sha}.jpg"


async def _edit(hub):
    await _sql(hub, "UPDATE ledger_record SET plate = '冀B99999' WHERE seq = 3")


async def _edit_data(hub):
    await _sql(hub, "UPDATE ledger_record SET data = replace(data, '准予入厂', '禁止入厂') WHERE seq = 3")


async def _delete(hub):
    await _sql(hub, "DELETE FROM ledger_record WHERE seq = 3")


async def _insert(hub):
    # Make room at seq 3 and slip in a copy of row 2 under a new passage id.
    await _sql(
        hub,
        "UPDATE ledger_record SET seq = -seq WHERE seq >= 3",
        "UPDATE ledger_record SET seq = 1 - seq WHERE seq < 0",
        f"INSERT INTO ledger_record ({', '.join(SELECT_COLUMNS)}) SELECT 3, kind, 'forged-passage-0000', "
        "ref_seq, recorded_ts, recorded_at, gate, lane, direction, plate, colour, vehicle_class, "
        "emission_stage, fuel, fleet, decision, reason_code, status, actor, photo_plate, photo_scene, rfid, "
        "data, prev_hash, hash FROM ledger_record WHERE seq = 2",
    )


async def _reorder(hub):
    await _sql(
        hub,
        "UPDATE ledger_record SET seq = -1 WHERE seq = 3",
        "UPDATE ledger_record SET seq = 3 WHERE seq = 4",
        "UPDATE ledger_record SET seq = 4 WHERE seq = -1",
    )


async def _change_photo(hub):
    (await _photo(hub, 3)).write_bytes(b"\xff\xd8 another picture")


async def _remove_photo(hub):
    (await _photo(hub, 3)).unlink()


async def _cut_tail(hub):
    await _sql(hub, "DELETE FROM ledger_record WHERE seq >= 4")


@pytest.mark.parametrize(
    ("tamper", "bad_seq", "words"),
    [
        (_edit, 3, "edited"),
        (_edit_data, 3, "edited"),
        (_delete, 3, "missing"),
        (_insert, 3, "edited or moved"),
        (_reorder, 3, "edited or moved"),
        (_change_photo, 3, "photo"),
        (_remove_photo, 3, "missing"),
        (_cut_tail, 4, "removed from the end"),
    ],
)
async def test_verify_names_the_first_bad_row(ledger_hub, tamper, bad_seq, words) -> None:
    hub = await ledger_hub()
    for n in range(5):
        await hub.services.async_call("ledger", "record_passage", passage(n))
    assert (await hub.services.async_call("ledger", "verify", {}))["ok"]
    await tamper(hub)
    verdict = await hub.services.async_call("ledger", "verify", {})
    record = verdict["chains"][0]
    assert not verdict["ok"] and record["bad_seq"] == bad_seq and words in record["problem"], record
    if tamper is _change_photo or tamper is _remove_photo:
        assert (await hub.services.async_call("ledger", "verify", {"evidence": False}))["ok"]


async def test_an_edited_audit_entry_is_found(ledger_hub) -> None:
    hub = await ledger_hub()
    inspector = await hub.auth.async_add_user("lijian", "correct horse", frozenset({Role.INSPECTOR}))
    for plate in ("冀B00001", "冀B00002", "冀B00003"):
        await hub.services.async_call("ledger", "query", {"plate": plate}, Context(user_id=inspector.id))
    await hub.async_block_till_done()
    await _sql(hub, "UPDATE ledger_audit SET username = 'someone' WHERE seq = 2")
    verdict = await hub.services.async_call("ledger", "verify", {})
    assert verdict["chains"][0]["ok"]
    audit = verdict["chains"][1]
    assert not audit["ok"] and audit["bad_seq"] == 2, audit
