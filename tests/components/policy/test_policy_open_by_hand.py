"""A guard opens a barrier by hand: always with a reason, always in the ledger, before the arm moves."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from hub.core import ServiceValidationError
from tests.common import wait_state
from tests.components.policy.conftest import fire_read, lifecycle, records, user_context

COVER = "cover.east_in_barrier"


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 150)).save(out, "JPEG")
    return out.getvalue()


async def test_opening_for_a_denied_truck_is_its_special_release(gate) -> None:
    hub = await gate()
    guard = await user_context(hub, "guard1", "guard")
    denied = await fire_read(hub, "冀B40004")
    assert denied["decision"] == "deny"
    answer = await hub.services.async_call(
        "policy", "open_barrier", {"gate": "east", "lane": "in", "reason": "抢险物资运输车"}, guard
    )
    assert (answer["recorded_as"], answer["passage_id"], answer["plate"]) == (
        "release",
        denied["passage_id"],
        "冀B40004",
    )
    await wait_state(hub, COVER, lambda s: s in ("opening", "open"))
    release = [r for r in await records(hub, denied["passage_id"]) if r["kind"] == "release"]
    assert [(r["reason"], r["actor"]) for r in release] == [("抢险物资运输车", guard.user_id)]


async def test_opening_with_no_vehicle_decided_is_a_manual_entry_recorded_first(gate) -> None:
    hub = await gate()
    guard = await user_context(hub, "guard1", "guard")
    seen_closed_at_commit: list[str] = []
    hub.bus.async_listen(
        "passage_recorded", lambda e: seen_closed_at_commit.append(hub.states.get(COVER).state)
    )
    with pytest.raises(ServiceValidationError, match="reason"):
        await hub.services.async_call(
            "policy", "open_barrier", {"gate": "east", "lane": "in", "reason": " "}, guard
        )
    with pytest.raises(ServiceValidationError, match="no lane"):
        await hub.services.async_call(
            "policy", "open_barrier", {"gate": "east", "lane": "nowhere", "reason": "消防车进厂"}, guard
        )
    data = {"gate": "east", "lane": "in", "reason": "消防车进厂", "plate": "冀B99119",
            "photo": base64.b64encode(photo()).decode()}  # fmt: skip
    answer = await hub.services.async_call("policy", "open_barrier", data, guard)
    assert (answer["recorded_as"], answer["opened"]) == ("manual_entry", True)
    await wait_state(hub, COVER, lambda s: s in ("opening", "open"))
    assert seen_closed_at_commit[0] == "closed"  # committed before the arm moved
    [row] = [r for r in await records(hub, answer["passage_id"]) if r["kind"] == "passage"]
    assert (row["plate"], row["reason_code"], row["reason_text"], row["actor"], row["decision"]) == (
        "冀B99119", "manual_entry", "消防车进厂", guard.user_id, "allow",
    )  # fmt: skip
    assert row["photo_scene"]

    # In a hurry, with no photo: opened all the same, and recorded without one.
    await hub.services.async_call("barrier", "close", {"gate": "east", "lane": "in"})
    await wait_state(hub, COVER, "closed", timeout=15)
    bare = await hub.services.async_call(
        "policy", "open_barrier", {"gate": "east", "lane": "in", "reason": "救护车进厂"}, guard
    )
    [row] = [r for r in await records(hub, bare["passage_id"]) if r["kind"] == "passage"]
    assert (row["reason_text"], row["photo_scene"]) == ("救护车进厂", None)


async def test_opening_for_an_allowed_truck_whose_barrier_failed_opens_for_its_passage(gate) -> None:
    """The PLC did not answer when the truck was let through: the guard's 开闸 opens for that passage
    (its lifecycle says so) instead of recording the one truck a second time as a manual entry."""
    hub = await gate()
    guard = await user_context(hub, "guard1", "guard")
    plc = hub.data["barrier"].simulators["east_in"]
    plc.set_answering(False)
    await wait_state(hub, COVER, "unavailable", timeout=15)
    allowed = await fire_read(hub, "冀B60006")
    assert allowed["decision"] == "allow"
    await hub.async_block_till_done()
    assert lifecycle(await records(hub, allowed["passage_id"])) == []  # the arm never moved

    plc.set_answering(True)
    await wait_state(hub, COVER, "closed", timeout=15)
    answer = await hub.services.async_call(
        "policy", "open_barrier", {"gate": "east", "lane": "in", "reason": "道闸恢复后开闸"}, guard
    )
    assert (answer["recorded_as"], answer["passage_id"], answer["opened"]) == (
        "opening", allowed["passage_id"], True,
    )  # fmt: skip
    await wait_state(hub, COVER, lambda s: s in ("opening", "open"))
    assert [r["passage_id"] for r in await records(hub) if r["kind"] == "passage"] == [allowed["passage_id"]]
    assert lifecycle(await records(hub, allowed["passage_id"]))[:1] == ["opening"]

    # Once it opened, another 开闸 is a manual entry again: the truck's passage is done with the arm.
    await hub.services.async_call("barrier", "close", {"gate": "east", "lane": "in"})
    await wait_state(hub, COVER, "closed", timeout=15)
    again = await hub.services.async_call(
        "policy", "open_barrier", {"gate": "east", "lane": "in", "reason": "消防车进厂"}, guard
    )
    assert again["recorded_as"] == "manual_entry"
