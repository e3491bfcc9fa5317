"""No person fabricates a passage; what a guard lets through by hand is a labelled manual entry."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from hub.core import Context, ServiceValidationError, Unauthorized
from hub.core.auth import Role
from tests.components.ledger.conftest import passage


def _photo() -> str:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (90, 120, 200)).save(out, "JPEG")
    return base64.b64encode(out.getvalue()).decode()


async def _people(hub) -> dict[str, Context]:
    people = {}
    for name, role in (("zhaoadmin", Role.ADMIN), ("wanggang", Role.GUARD), ("lijian", Role.INSPECTOR)):
        user = await hub.auth.async_add_user(name, "Gate-keeper 2026", frozenset({role}))
        people[role.value] = Context(user_id=user.id)
    return people


async def _audit(hub, action: str) -> list[dict]:
    await hub.async_block_till_done()  # audit rows are written behind the call
    answer = await hub.services.async_call("ledger", "audit_query", {"action": action, "sort": "seq"})
    return answer["items"]


async def test_no_person_may_record_a_passage_not_even_an_admin(ledger_hub) -> None:
    hub = await ledger_hub()
    people = await _people(hub)
    ghost = passage(1, gate="ghost_gate", lane="nowhere")
    with pytest.raises(Unauthorized, match="hub's own"):
        await hub.services.async_call("ledger", "record_passage", ghost, people["admin"], door="api")
    found = await hub.services.async_call("ledger", "query", {})
    assert found["total"] == 0
    refused = await _audit(hub, "ledger.record_passage")
    assert [row["outcome"] for row in refused] == ["refused"]
    # A person is not even offered the service.
    assert ("ledger", "record_passage") not in {(s.domain, s.name) for s in hub.services.services()}


async def test_a_guard_records_a_manual_entry_with_photo_and_reason(ledger_hub) -> None:
    hub = await ledger_hub()
    people = await _people(hub)
    hub.states.async_set("cover.east_gate_in_barrier", "closed", {"gate": "east_gate", "lane": "in"})
    entry = {
        "gate": "east_gate", "lane": "in", "direction": "in", "plate": "冀B12345", "colour": "yellow",
        "reason": "识别系统故障，人工核对随车清单后放行", "photo": _photo(),
    }  # fmt: skip
    row = await hub.services.async_call("ledger", "record_manual_passage", entry, people["guard"], door="ui")
    found = (await hub.services.async_call("ledger", "query", {"passage_id": row["passage_id"]}))["items"]
    assert len(found) == 1
    record = found[0]
    assert record["reason_code"] == "manual_entry" and record["entry"] == "manual"
    assert record["reason_text"] == entry["reason"] and record["needs_review"] is True
    assert record["actor"] == people["guard"].user_id and record["photos"]["scene"]
    verdict = await hub.services.async_call("ledger", "verify", {})
    assert verdict["ok"], verdict


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"gate": "ghost_gate", "lane": "nowhere"}, "no lane ghost_gate/nowhere"),
        ({"reason": "  "}, "reason"),
        ({"photo": base64.b64encode(b"<html>not a photo</html>").decode()}, "not a JPEG or PNG"),
        ({"photo": "not base64!"}, "photo"),
        ({"plate": "XB00003"}, "plate"),
    ],
)
async def test_a_manual_entry_needs_a_real_lane_a_reason_and_a_photo(ledger_hub, change, problem) -> None:
    hub = await ledger_hub()
    people = await _people(hub)
    hub.states.async_set("cover.east_gate_in_barrier", "closed", {"gate": "east_gate", "lane": "in"})
    entry = {
        "gate": "east_gate", "lane": "in", "direction": "in", "plate": "冀B12345",
        "reason": "识别系统故障，人工放行", "photo": _photo(), **change,
    }  # fmt: skip
    with pytest.raises(ServiceValidationError, match=problem):
        await hub.services.async_call("ledger", "record_manual_passage", entry, people["guard"])
    with pytest.raises(Unauthorized):
        await hub.services.async_call("ledger", "record_manual_passage", entry, people["inspector"])
    assert (await hub.services.async_call("ledger", "query", {}))["total"] == 0
