"""Recording passages and follow-ups, querying them back, the audit log — on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import pytest

from hub.core import Context, ServiceValidationError, Unauthorized
from hub.core.auth import Role
from hub.core.const import EVENT_PASSAGE_RECORDED, EVENT_USER_LOGIN, EVENT_WEIGHT_STABLE
from tests.common import expect_event
from tests.components.ledger.conftest import passage, traced

# The policy joins a stable weight to its lane's passage (policy/weight_join.py), any passage the
# ledger records there: these tests record theirs directly.
WEIGHS = "policy: {grade: B}\n"


async def _record(hub, data, context=None):
    return await hub.services.async_call("ledger", "record_passage", data, context)


async def _query(hub, **filters):
    return await hub.services.async_call("ledger", "query", filters)


async def test_passage_is_committed_with_its_photos_before_the_call_returns(ledger_hub) -> None:
    hub = await ledger_hub()
    seen = []
    hub.bus.async_listen(EVENT_PASSAGE_RECORDED, seen.append)
    data = passage(1, decision="deny", reason_code="stage_banned", reason_text="国四柴油货车禁止入厂")
    result = await _record(hub, data)
    # Committed: a fresh read of the database sees it before anything else happens.
    _, rows = await hub.db.connection.execute_query(
        f"SELECT seq, plate, decision FROM ledger_record WHERE passage_id = '{data['passage_id']}'"
    )
    assert [tuple(r) for r in rows] == [(result["seq"], "冀B00001", "deny")]
    assert len(result["hash"]) == 64
    assert [e.data["passage_id"] for e in seen] == [data["passage_id"]]
    event = seen[0].data
    assert event["seq"] == result["seq"] and event["kind"] == "passage"
    assert event["reason_text"] == "国四柴油货车禁止入厂" and event["emission_stage"] == "5"
    assert event["vehicle"]["vin"] == "LFWADRJF1J1000001"
    assert "images" not in event  # photos travel as hashes, never as bytes on the bus
    # The photo is in the evidence store, its one home, by the time the call returns.
    sha = event["photo_plate"]
    photo = hub.data_dir / "evidence" / sha[:2] / sha[2:4] / f"{sha}.jpg"
    assert photo.read_bytes() == data["images"]["plate"]
    served = await hub.services.async_call("ledger", "evidence", {"sha256": sha})
    assert served["data"] == data["images"]["plate"]


@pytest.mark.parametrize("size", [0, 30_000], ids=["small", "camera-sized"])
async def test_photos_are_on_disk_before_the_passage_row_is_written(ledger_hub, database, size) -> None:
    if "postgres" in database:
        pytest.skip("the statement trace is SQLite's")
    hub = await ledger_hub()
    data = passage(2)
    data["images"] = {
        "plate": data["images"]["plate"] + bytes(size),
        "scene": b"\xff\xd8" + bytes(8 * size + 1),
    }
    paths = {
        role: hub.data_dir / "evidence" / sha[:2] / sha[2:4] / f"{sha}.jpg"
        for role, sha in ((r, hashlib.sha256(c).hexdigest()) for r, c in data["images"].items())
    }
    on_disk_at_insert: list[bool] = []

    def hook(statement: str) -> None:  # on the database's thread, as the row's insert starts
        if statement.startswith('INSERT INTO "ledger_record"'):
            on_disk_at_insert.append(all(p.is_file() for p in paths.values()))

    async with traced(hub, hook):
        await _record(hub, data)
    assert on_disk_at_insert == [True]
    [record] = (await _query(hub, passage_id=data["passage_id"]))["items"]
    for role in ("plate", "scene"):
        assert paths[role].read_bytes() == data["images"][role]
        assert record[f"photo_{role}"] == paths[role].stem
    assert (await hub.services.async_call("ledger", "verify", {}))["ok"]


async def test_concurrent_passages_get_distinct_places_in_one_chain(ledger_hub) -> None:
    hub = await ledger_hub()
    results = await asyncio.gather(*(_record(hub, passage(n)) for n in range(120)))
    assert sorted(r["seq"] for r in results) == list(range(1, 121))
    verdict = await hub.services.async_call("ledger", "verify", {})
    assert verdict["ok"], verdict
    assert verdict["chains"][0]["rows"] == 120 and verdict["chains"][0]["photos_checked"] == 240


async def test_recording_the_same_passage_twice_keeps_one_row(ledger_hub) -> None:
    hub = await ledger_hub()
    data = passage(7)
    first = await _record(hub, data)
    again = await _record(hub, data)
    assert again["seq"] == first["seq"] and again["hash"] == first["hash"]
    assert (await _query(hub))["total"] == 1


async def test_bad_passage_data_is_refused_and_nothing_is_written(ledger_hub) -> None:
    hub = await ledger_hub()
    with pytest.raises(ServiceValidationError, match="direction"):
        await _record(hub, passage(1, direction="sideways"))
    with pytest.raises(ServiceValidationError, match=r"images\.plate"):
        await _record(hub, passage(2, images={"plate": b"x" * (9 * 1024 * 1024)}))
    await _record(hub, passage(3))
    assert (await _query(hub))["total"] == 1


async def test_followups_amend_the_passage_without_changing_it(ledger_hub, clock) -> None:
    hub = await ledger_hub(extra=WEIGHS)
    guard = await hub.auth.async_add_user("wanggang", "correct horse", frozenset({Role.GUARD}))
    inspector = await hub.auth.async_add_user("lijian", "correct horse", frozenset({Role.INSPECTOR}))
    as_guard = Context(user_id=guard.id)
    data = passage(3, plate="冀B0OO03", decision="deny", reason_text="国四柴油货车禁止入厂")
    original = await _record(hub, data)

    def followup(kind, payload, reason=None, context=as_guard):
        body = {"passage_id": data["passage_id"], "kind": kind, "data": payload, "reason": reason}
        return hub.services.async_call("ledger", "record_followup", body, context)

    with pytest.raises(ServiceValidationError, match="reason"):
        await followup("release", {"approver": "张主任"})
    with pytest.raises(ServiceValidationError, match="province"):
        await followup("correction", {"plate": "XB00003"}, "车牌识别错误")
    with pytest.raises(Unauthorized):
        await followup("release", {"approver": "张主任"}, "抢险物资", Context(user_id=inspector.id))
    with pytest.raises(ServiceValidationError, match="no passage"):
        body = {"passage_id": "0" * 36, "kind": "cargo", "data": {"cargo": "铁矿石"}}
        await hub.services.async_call("ledger", "record_followup", body)

    await followup("correction", {"plate": "冀b·00003", "colour": "yellow"}, "识别错误，人工更正")
    await followup("release", {"approver": "张主任", "valid_minutes": 30}, "抢险物资运输，特批放行")
    joined = expect_event(hub, EVENT_PASSAGE_RECORDED, {"kind": "weight"})
    reading = {"gate": "east_gate", "lane": "in", "weight_kg": 49_120, "at": clock.now().isoformat()}
    hub.bus.async_fire(EVENT_WEIGHT_STABLE, {**reading, "indicator": "XK3190"})
    weight = await joined
    assert weight.data["ref_seq"] == original["seq"] and weight.data["weight_kg"] == 49_120
    cargo = {"cargo": "铁矿石", "quantity": 31.5, "unit": "t", "origin": "唐山港", "destination": "原料场",
             "driver": "赵师傅", "driver_phone": "13800000000"}  # fmt: skip
    await followup("cargo", cargo, None, Context())
    await followup("acceptance", {"status": "rejected", "message": "缺少随车清单"}, None, Context())

    found = await _query(hub, plate="冀B00003")
    assert found["total"] == 1
    item = found["items"][0]
    assert item["plate"] == "冀B00003" and item["original_plate"] == "冀B0OO03"
    assert item["released"] is True and item["released_by"] == guard.id
    assert item["release_reason"] == "抢险物资运输，特批放行"
    assert item["weight_kg"] == 49_120 and item["cargo"]["cargo"] == "铁矿石"
    assert item["acceptance"] == "rejected" and item["acceptance_message"] == "缺少随车清单"
    assert [f["kind"] for f in item["followups"]] == [
        "correction",
        "release",
        "weight",
        "cargo",
        "acceptance",
    ]
    # The original row is unchanged: the plate as read still finds it.
    assert (await _query(hub, plate="冀B0OO03"))["items"][0]["seq"] == original["seq"]
    assert (await hub.services.async_call("ledger", "verify", {}))["ok"]


async def test_a_weight_with_no_open_passage_is_audited_not_lost(ledger_hub, clock) -> None:
    hub = await ledger_hub(extra=WEIGHS)
    await _record(hub, passage(1))
    clock.advance(timedelta(minutes=30))  # older than the join window
    hub.bus.async_fire(EVENT_WEIGHT_STABLE, {"gate": "east_gate", "lane": "in", "weight_kg": 15_000})
    hub.bus.async_fire(EVENT_WEIGHT_STABLE, {"gate": "west_gate", "lane": "main", "weight_kg": 9_000})
    await hub.async_block_till_done()
    audit = await hub.services.async_call("ledger", "audit_query", {"action": "ledger.weight_unmatched"})
    assert audit["total"] == 2
    assert {i["target"] for i in audit["items"]} == {"east_gate/in", "west_gate/main"}
    assert {i["detail"]["weight_kg"] for i in audit["items"]} == {15_000, 9_000}
    assert (await _query(hub))["items"][0].get("weight_kg") is None


async def test_queries_filter_count_page_and_sort(ledger_hub, clock) -> None:
    hub = await ledger_hub()
    start = clock.now()
    specs = [
        ("冀B11111", "east_gate", "in", "in", "transport", "6", "B", "allow", "自有车队"),
        ("冀B11112", "east_gate", "out", "out", "transport", "4", "B", "deny", "个体"),
        ("津A22222", "west_gate", "main", "in", "in_plant", "5", "E", "allow", "自有车队"),
        ("晋C33333", "west_gate", "main", "out", "transport", "D", "C", "allow", "河北冀运集团"),
        ("冀B11111", "east_gate", "out", "out", "transport", "6", "B", "allow", "自有车队"),
    ]
    ids = []
    for n, (plate, gate, lane, direction, cls, stage, fuel, decision, fleet) in enumerate(specs):
        clock.advance(timedelta(minutes=10))
        vehicle = {"emission_stage": stage, "fuel": fuel, "fleet": fleet}
        data = passage(n, plate=plate, gate=gate, lane=lane, direction=direction, vehicle_class=cls,
                       decision=decision, vehicle=vehicle)  # fmt: skip
        ids.append(data["passage_id"])
        await _record(hub, data)
    await hub.services.async_call(
        "ledger", "record_followup",
        {"passage_id": ids[1], "kind": "release", "data": {}, "reason": "应急保供"},
    )  # fmt: skip

    def plates(result):
        return [i["plate"] for i in result["items"]]

    assert plates(await _query(hub, plate="冀B11111", sort="recorded_at")) == ["冀B11111", "冀B11111"]
    assert sorted(plates(await _query(hub, plate_contains="B1111"))) == ["冀B11111", "冀B11111", "冀B11112"]
    assert plates(await _query(hub, plate_contains="%")) == []  # wildcards are taken literally
    assert plates(await _query(hub, gate="west_gate", direction="in")) == ["津A22222"]
    assert plates(await _query(hub, lane="main", sort="plate")) == ["晋C33333", "津A22222"]
    assert plates(await _query(hub, vehicle_class="in_plant")) == ["津A22222"]
    assert plates(await _query(hub, emission_stage="D")) == ["晋C33333"]
    assert plates(await _query(hub, fuel="E")) == ["津A22222"]
    assert plates(await _query(hub, decision="deny")) == ["冀B11112"]
    assert plates(await _query(hub, released=True)) == ["冀B11112"]
    assert (await _query(hub, released=False))["total"] == 4
    assert plates(await _query(hub, fleet="河北冀运集团")) == ["晋C33333"]
    window = await _query(hub, start=start + timedelta(minutes=15), end=start + timedelta(minutes=35))
    assert plates(window) == ["津A22222", "冀B11112"]  # newest first by default
    page = await _query(hub, page=2, page_size=2, sort="seq")
    assert page["total"] == 5 and [i["seq"] for i in page["items"]] == [3, 4]
    with pytest.raises(ServiceValidationError, match="page_size"):
        await _query(hub, page_size=100_000)
    # A guard corrected a misread plate: part of the corrected plate finds it, as the whole one does.
    await hub.services.async_call(
        "ledger", "record_followup",
        {"passage_id": ids[3], "kind": "correction", "data": {"plate": "晋C88888"}, "reason": "识别错误"},
    )  # fmt: skip
    assert plates(await _query(hub, plate="晋C88888")) == ["晋C88888"]
    assert plates(await _query(hub, plate_contains="C8888")) == ["晋C88888"]


async def test_audit_log_records_who_did_what_through_which_door(ledger_hub) -> None:
    hub = await ledger_hub()
    inspector = await hub.auth.async_add_user("lijian", "correct horse", frozenset({Role.INSPECTOR}))
    officer = await hub.auth.async_add_user("zhaomin", "correct horse", frozenset({Role.OFFICER}))
    await _record(hub, passage(1))  # the hub's own routine call: not audited
    await hub.services.async_call(
        "ledger", "query", {"plate": "冀B00001"}, Context(user_id=inspector.id), door="ui"
    )
    with pytest.raises(Unauthorized):
        await hub.services.async_call("ledger", "prune", {}, Context(user_id=inspector.id), door="opcua")
    hub.bus.async_fire(EVENT_USER_LOGIN, {"user_id": officer.id, "username": "zhaomin", "door": "ui"})
    await hub.async_block_till_done()
    audit = await hub.services.async_call(
        "ledger", "audit_query", {"sort": "seq"}, Context(user_id=officer.id)
    )
    entries = [(i["action"], i["username"], i["door"], i["outcome"]) for i in audit["items"]]
    assert entries == [
        ("ledger.query", "lijian", "ui", "ok"),
        ("ledger.prune", "lijian", "opcua", "refused"),
        ("login", "zhaomin", "ui", "ok"),
    ]
    assert audit["items"][0]["detail"]["data"]["plate"] == "冀B00001"
    assert audit["items"][2]["target"] == "zhaomin"
    by_user = await hub.services.async_call(
        "ledger", "audit_query", {"username": "lijian", "action": "ledger."}
    )
    assert by_user["total"] == 2
    await hub.async_block_till_done()  # the audit entries of the queries above are written after them
    verdict = await hub.services.async_call("ledger", "verify", {})
    assert verdict["ok"] and verdict["chains"][1]["rows"] >= 4  # the audit query itself was audited too


async def test_a_lanes_lifecycle_steps_go_in_as_given_and_a_bad_one_only_reports_itself(ledger_hub) -> None:
    hub = await ledger_hub()
    first, second = passage(1), passage(2)
    for item in (first, second):
        await _record(hub, item)

    def step(item, state):
        return {"passage_id": item["passage_id"], "kind": "lifecycle", "data": {"state": state}}

    steps = [
        step(first, "opening"), {**step(first, "passed"), "passage_id": "0" * 36}, step(first, "passed"),
        step(second, "flying"), step(first, "closed"), step(second, "denied"),
    ]  # fmt: skip
    result = await hub.services.async_call("ledger", "record_followups", {"followups": steps})
    records = result["records"]
    assert "no passage" in records[1]["error"] and "state" in records[3]["error"]
    assert [r.get("seq") for r in records] == [3, None, 4, None, 5, 6]
    rows = await hub.services.async_call("ledger", "read_records", {"after_seq": 2, "limit": 10})
    assert [(r["passage_id"], r["status"]) for r in rows] == [
        (first["passage_id"], "opening"), (first["passage_id"], "passed"),
        (first["passage_id"], "closed"), (second["passage_id"], "denied"),
    ]  # fmt: skip
    with pytest.raises(ServiceValidationError, match="followups"):
        await hub.services.async_call("ledger", "record_followups", {"followups": []})


async def test_uplink_reads_records_in_order_and_open_passages(ledger_hub) -> None:
    hub = await ledger_hub()
    data = [passage(n) for n in range(4)]
    for item in data:
        await _record(hub, item)
    for item, state in ((data[0], "closed"), (data[1], "passed"), (data[2], "interrupted")):
        body = {"passage_id": item["passage_id"], "kind": "lifecycle", "data": {"state": state}}
        await hub.services.async_call("ledger", "record_followup", body)
    first = await hub.services.async_call("ledger", "read_records", {"after_seq": 0, "limit": 5})
    rest = await hub.services.async_call("ledger", "read_records", {"after_seq": 5, "limit": 100})
    assert [r["seq"] for r in first + rest] == list(range(1, 8))
    assert [r["kind"] for r in rest] == ["lifecycle", "lifecycle"]
    assert rest[-1]["status"] == "interrupted" and rest[-1]["ref_seq"] == 3
    still_open = await hub.services.async_call("ledger", "open_passages", {})
    assert [p["passage_id"] for p in still_open] == [data[1]["passage_id"], data[3]["passage_id"]]
