"""The day's counters and statistics, photos served from the ledger, lookup by passage id."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hub.core import Context
from hub.core.auth import Role
from tests.components.ledger.conftest import passage


async def _record(hub, **overrides):
    return await hub.services.async_call("ledger", "record_passage", passage(**overrides))


def _count(hub, what: str) -> int:
    return int(hub.states.get(f"sensor.plant_{what}_today").state)


async def test_counters_follow_the_day_and_survive_a_restart(ledger_hub, clock, tmp_path) -> None:
    hub = await ledger_hub(config_dir=tmp_path / "plant")
    await _record(hub, n=1)
    await _record(hub, n=2, decision="deny", reason_code="stage_banned")
    denied = await _record(hub, n=3, decision="deny", reason_code="stage_banned")
    await _record(hub, n=4, direction="out", lane="out")
    await hub.services.async_call(
        "ledger", "record_followup",
        {"passage_id": denied["passage_id"], "kind": "release", "reason": "抢险物资", "data": {}},
    )  # fmt: skip
    await hub.async_block_till_done()
    assert [_count(hub, w) for w in ("entries", "exits", "denied", "released")] == [3, 1, 2, 1]

    stats = await hub.services.async_call("ledger", "daily_stats", {"date": clock.now().date().isoformat()})
    assert (stats["entries"], stats["exits"], stats["denied"], stats["released"]) == (3, 1, 2, 1)
    assert stats["entries_by_stage"] == {"5": 3} and stats["entries_by_class"] == {"transport": 3}

    await hub.async_stop()
    hub = await ledger_hub(config_dir=tmp_path / "plant")
    assert [_count(hub, w) for w in ("entries", "exits", "denied", "released")] == [3, 1, 2, 1]

    clock.advance(timedelta(days=1))
    await _record(hub, n=5)
    await hub.async_block_till_done()
    assert [_count(hub, w) for w in ("entries", "exits", "denied", "released")] == [1, 0, 0, 0]


async def test_a_photo_is_served_only_while_it_keeps_its_hash(ledger_hub) -> None:
    hub = await ledger_hub()
    inspector = await hub.auth.async_add_user("lijian", "correct horse", frozenset({Role.INSPECTOR}))
    data = passage(8)
    result = await hub.services.async_call("ledger", "record_passage", data)
    found = await hub.services.async_call(
        "ledger", "query", {"passage_id": result["passage_id"]}, Context(user_id=inspector.id)
    )
    [record] = found["items"]
    sha = record["photo_plate"]
    photo = await hub.services.async_call(
        "ledger", "evidence", {"sha256": sha}, Context(user_id=inspector.id)
    )
    assert photo["data"] == data["images"]["plate"] and photo["content_type"] == "image/jpeg"

    path = hub.data_dir / "evidence" / sha[:2] / sha[2:4] / f"{sha}.jpg"
    assert (await hub.services.async_call("ledger", "evidence", {"sha256": sha}))["data"] == photo["data"]
    path.write_bytes(b"not the photo")
    with pytest.raises(LookupError, match="changed"):
        await hub.services.async_call("ledger", "evidence", {"sha256": sha})
    path.unlink()
    with pytest.raises(LookupError, match="missing"):
        await hub.services.async_call("ledger", "evidence", {"sha256": sha})
