"""The passage's weight step: a stable weight joins the lane's passage once, within the join window,
and still after a restart; a weight that belongs to no passage is audited, never lost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hub.core import Hub
from hub.core.const import EVENT_PASSAGE_RECORDED, EVENT_WEIGHT_STABLE
from tests.common import expect_event
from tests.components.policy.conftest import fire_read, records


def weigh(hub: Hub, lane: str, kg: int) -> None:
    at = hub.now().isoformat()
    data = {"gate": "east", "lane": lane, "weight_kg": kg, "at": at, "indicator": "XK3190"}
    hub.bus.async_fire(EVENT_WEIGHT_STABLE, data)


async def weights(hub: Hub) -> list[tuple[str, int]]:
    return [(r["passage_id"], r["weight_kg"]) for r in await records(hub) if r["kind"] == "weight"]


async def unmatched(hub: Hub) -> list[dict[str, Any]]:
    await hub.async_block_till_done()
    found = await hub.services.async_call("ledger", "audit_query", {"action": "ledger.weight_unmatched"})
    return sorted(found["items"], key=lambda item: item["seq"])


async def test_a_stable_weight_joins_the_lanes_passage_once(gate, clock) -> None:
    hub = await gate(barrier=False)
    decision = await fire_read(hub, "冀B60006")
    joined = expect_event(hub, EVENT_PASSAGE_RECORDED, {"kind": "weight"})
    weigh(hub, "in", 31_460)
    weight = (await joined).data
    assert (weight["passage_id"], weight["ref_seq"]) == (decision["passage_id"], decision["seq"])
    assert weight["weight_kg"] == 31_460 and weight["indicator"] == "XK3190"
    weigh(hub, "in", 31_480)  # the indicator settles again under the same truck: not a second weight
    [second] = await unmatched(hub)
    assert (second["target"], second["outcome"]) == ("east/in", "unmatched")
    assert second["detail"]["why"] == "the passage on this lane is weighed already"
    assert await weights(hub) == [(decision["passage_id"], 31_460)]
    query = await hub.services.async_call("ledger", "query", {"passage_id": decision["passage_id"]})
    assert query["items"][0]["weight_kg"] == 31_460


async def test_a_weight_later_than_the_join_window_is_audited(gate, clock) -> None:
    hub = await gate("weight_join_seconds: 120", barrier=False)
    await fire_read(hub, "冀B60006")
    clock.advance(timedelta(seconds=121))
    weigh(hub, "in", 15_000)
    weigh(hub, "out", 9_000)  # no passage on this lane at all
    audited = await unmatched(hub)
    assert [(a["target"], a["detail"]["weight_kg"], a["detail"]["why"]) for a in audited] == [
        ("east/in", 15_000, "the last passage on this lane is older than 120 s"),
        ("east/out", 9_000, "no passage on this lane"),
    ]
    assert await weights(hub) == []


async def test_after_a_restart_the_lanes_passage_is_still_weighed_once(gate, clock, tmp_path) -> None:
    plant = tmp_path / "plant"
    hub = await gate(barrier=False, config_dir=plant)
    weighed = await fire_read(hub, "冀B60006")
    joined = expect_event(hub, EVENT_PASSAGE_RECORDED, {"kind": "weight"})
    weigh(hub, "in", 31_460)
    await joined
    waiting = await fire_read(hub, "冀B50005", lane="out", direction="out")
    await hub.async_stop()

    again = await gate(barrier=False, config_dir=plant)
    clock.advance(timedelta(seconds=60))
    joined = expect_event(again, EVENT_PASSAGE_RECORDED, {"kind": "weight"})
    weigh(again, "out", 18_020)  # the exit recorded before the restart is weighed after it
    assert (await joined).data["passage_id"] == waiting["passage_id"]
    weigh(again, "in", 31_500)  # the entry was weighed before the restart: the ledger says so
    [twice] = await unmatched(again)
    assert twice["target"] == "east/in"
    assert twice["detail"]["why"] == "the passage on this lane is weighed already"
    assert sorted(await weights(again)) == sorted(
        [(weighed["passage_id"], 31_460), (waiting["passage_id"], 18_020)]
    )
