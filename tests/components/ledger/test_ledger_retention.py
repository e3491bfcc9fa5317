"""Retention prunes old passages and photos and verify stays green; trips pair entries with exits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hub.core import ConfigError, Hub
from tests.common import wait_until
from tests.components.ledger.conftest import passage
from tests.conftest import write_config


async def daily_run(hub: Hub) -> dict[str, Any]:
    """What the daily retention run did, once its audit row is written (the run is the hub's own task)."""
    runs: list[dict[str, Any]] = []

    async def audited() -> bool:
        found = await hub.services.async_call("ledger", "audit_query", {"action": "ledger.retention"})
        runs[:] = [item["detail"] for item in found["items"]]
        return bool(runs)

    await wait_until(audited)
    [summary] = runs
    return summary


async def test_retention_prunes_the_old_part_and_verify_stays_green(ledger_hub, clock) -> None:
    hub = await ledger_hub("retention_months: 24")
    old = [passage(n) for n in range(4)]
    for item in old:
        await hub.services.async_call("ledger", "record_passage", item)
    await hub.services.async_call(
        "ledger",
        "record_followup",
        {"passage_id": old[0]["passage_id"], "kind": "cargo", "data": {"cargo": "焦炭"}},
    )
    old_photos = list((hub.data_dir / "evidence").rglob("*.jpg"))
    assert len(old_photos) == 8
    clock.advance(timedelta(days=365 * 2 + 40))  # the daily run at retention_hour comes due meanwhile
    summary = await daily_run(hub)
    assert summary["pruned_rows"] == 5 and summary["through_seq"] == 5 and summary["photos_removed"] == 8
    assert not any(p.exists() for p in old_photos)
    recent = [passage(n) for n in range(10, 13)]
    for item in recent:
        await hub.services.async_call("ledger", "record_passage", item)

    verdict = await hub.services.async_call("ledger", "verify", {})
    assert verdict["ok"], verdict
    assert verdict["chains"][0]["first_seq"] == 6 and verdict["chains"][0]["photos_checked"] == 6
    left = await hub.services.async_call("ledger", "query", {"sort": "seq"})
    assert [i["passage_id"] for i in left["items"]] == [p["passage_id"] for p in recent]
    # Nothing more is old enough: a second run changes nothing, and new passages chain on.
    assert (await hub.services.async_call("ledger", "prune", {}))["pruned_rows"] == 0
    await hub.services.async_call("ledger", "record_passage", passage(20))
    assert (await hub.services.async_call("ledger", "verify", {}))["ok"]


async def test_pruned_rows_cannot_be_hidden_by_editing_the_checkpoint(ledger_hub, clock) -> None:
    hub = await ledger_hub()
    for n in range(3):
        await hub.services.async_call("ledger", "record_passage", passage(n))
    clock.advance(timedelta(days=800))
    assert (await daily_run(hub))["through_seq"] == 3  # then the checkpoint row, seq 4
    await hub.services.async_call("ledger", "record_passage", passage(9))
    # Someone deletes a kept row and moves the checkpoint table's mark to hide it.
    await hub.db.connection.execute_query("DELETE FROM ledger_record WHERE seq = 5")
    await hub.db.connection.execute_query("UPDATE ledger_checkpoint SET through_seq = 5")
    verdict = await hub.services.async_call("ledger", "verify", {})
    assert not verdict["ok"] and "checkpoint" in verdict["chains"][0]["problem"], verdict


async def test_retention_below_24_months_is_refused(tmp_path) -> None:
    config_dir = write_config(tmp_path / "plant", "hub:\n  name: t\nledger:\n  retention_months: 12\n")
    with pytest.raises(ConfigError) as err:
        await Hub(config_dir).async_start()
    assert "configuration.yaml:4: ledger.retention_months" in str(err.value), str(err.value)
    assert "greater than or equal to 24" in str(err.value)


async def test_trips_pair_entries_with_exits_and_flag_the_rest(ledger_hub, clock) -> None:
    hub = await ledger_hub("trip_open_hours: 12")
    start = clock.now()

    async def at(
        minutes: float, plate: str, direction: str, decision: str = "allow", weight: int | None = None
    ):
        clock.set(start + timedelta(minutes=minutes))
        lane = "in" if direction == "in" else "out"
        data = passage(0, plate=plate, direction=direction, lane=lane, decision=decision)
        await hub.services.async_call("ledger", "record_passage", data)
        if weight is not None:
            body = {"passage_id": data["passage_id"], "kind": "weight", "data": {"weight_kg": weight}}
            await hub.services.async_call("ledger", "record_followup", body)

    await at(0, "冀B10001", "in", weight=49_000)
    await at(5, "冀B10002", "in", decision="deny")  # refused: never inside
    await at(10, "冀B10003", "out")  # left without a recorded entry
    await at(20, "冀B10004", "in")  # still inside, then overdue
    await at(95, "冀B10001", "out", weight=17_500)
    clock.set(start + timedelta(hours=14))
    window = {"start": start.isoformat(), "end": (start + timedelta(days=1)).isoformat()}
    trips = await hub.services.async_call("ledger", "trips", window)
    summary = [(t["plate"], t["flag"], bool(t["entry"]), bool(t["exit"])) for t in trips["items"]]
    assert summary == [
        ("冀B10001", None, True, True),
        ("冀B10003", "exit_without_entry", False, True),
        ("冀B10004", "overdue", True, False),
    ]
    paired = trips["items"][0]
    assert (paired["gross_kg"], paired["tare_kg"], paired["net_kg"]) == (49_000, 17_500, 31_500)
    assert paired["duration_s"] == 95 * 60
    flagged = await hub.services.async_call("ledger", "trips", {**window, "flagged_only": True})
    assert flagged["total"] == 2
