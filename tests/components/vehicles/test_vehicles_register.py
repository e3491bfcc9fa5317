"""The register through its services: lookup after writes, history, events, lists with expiry, roles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from hub.components.vehicles.const import EVENT_REGISTER_CHANGED
from hub.core import Context, ServiceValidationError, Unauthorized
from hub.core.auth import Role
from tests.components.vehicles.conftest import JPEG, call, in_plant, machinery, transport, user_context


def changes(hub: Any) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    hub.bus.async_listen(EVENT_REGISTER_CHANGED, lambda event: seen.append(dict(event.data)))
    return seen


async def test_lookup_follows_upsert_and_delete_with_history(vehicles_hub, clock) -> None:
    hub = await vehicles_hub()
    officer = await user_context(hub, Role.OFFICER)
    events = changes(hub)
    assert await call(hub, "lookup", {"plate": "冀B00001"}) is None

    created = await call(hub, "upsert", {"class": "transport", "record": transport(1)}, officer)
    assert created["action"] == "created" and created["key"] == "冀B00001"
    found = await call(hub, "lookup", {"plate": "冀b·00001", "colour": "yellow"})
    assert found["vehicle_class"] == "transport" and found["registered"] is True
    assert (found["emission_stage"], found["fuel"], found["heavy"], found["network_status"]) == (
        "6",
        "B",
        True,
        True,
    )
    assert found["blacklisted"] is False and found["temporary_pass"] is None and found["whitelist"] is None
    assert found["colour_mismatch"] is False and found["documents_complete"] is False

    clock.advance(60)
    changed = await call(
        hub,
        "upsert",
        {"class": "transport", "record": {"plate": "冀B00001", "emission_stage": "国五"}},
        officer,
    )  # merge: only the stage changes
    assert changed["action"] == "updated" and changed["record"]["fleet"] == "唐山顺达物流有限公司"
    assert (await call(hub, "lookup", {"plate": "冀B00001"}))["emission_stage"] == "5"
    again = await call(
        hub, "upsert", {"class": "transport", "record": {"plate": "冀B00001", "emission_stage": "5"}}, officer
    )
    assert again["action"] == "unchanged"

    clock.advance(60)
    await call(hub, "delete", {"class": "transport", "key": "冀B00001"}, officer)
    assert await call(hub, "lookup", {"plate": "冀B00001"}) is None

    assert [(e["action"], e["key"], e["user_id"]) for e in events] == [
        ("created", "冀B00001", officer.user_id), ("updated", "冀B00001", officer.user_id),
        ("deleted", "冀B00001", officer.user_id),
    ]  # fmt: skip
    history = await call(hub, "history", {"class": "transport", "key": "冀B00001"}, officer)
    assert history["total"] == 3
    deleted, updated, created_row = history["items"]  # newest first
    assert updated["changes"] == {"emission_stage": ["6", "5"]} and updated["username"].startswith("officer")
    assert updated["changed_ts"] - created_row["changed_ts"] == 60 and updated["door"] == "internal"
    assert created_row["old"] is None and created_row["new"]["vin"] == transport(1)["vin"]
    assert deleted["new"] is None and deleted["old"]["emission_stage"] == "5"


async def test_classes_share_plates_and_codes_but_never_twice(vehicles_hub) -> None:
    hub = await vehicles_hub()
    await call(hub, "upsert", {"class": "transport", "record": transport(1)})
    await call(hub, "upsert", {"class": "in_plant", "record": in_plant(1, plate="冀B00002", colour="yellow")})
    await call(hub, "upsert", {"class": "machinery", "record": machinery(1, usable="否")})

    by_plate = await call(hub, "lookup", {"plate": "冀B00002"})
    assert by_plate["vehicle_class"] == "in_plant" and by_plate["internal_no"] == "CN0001"
    by_code = await call(hub, "lookup", {"code": "cn0001"})
    assert by_code["key"] == "CN0001" and by_code["plate"] == "冀B00002"
    machine = await call(hub, "lookup", {"code": "JA00000001"})
    assert machine["vehicle_class"] == "machinery" and machine["usable_today"] is False
    assert machine["vehicle_type"] == "装载机" and machine["plate"] is None
    assert (await call(hub, "lookup", {"code": "M001"}))["env_code"] == "JA00000001"

    with pytest.raises(ServiceValidationError, match="already registered as transport"):
        await call(
            hub, "upsert", {"class": "in_plant", "record": in_plant(2, plate="冀B00001", colour="yellow")}
        )
    with pytest.raises(ServiceValidationError, match="already registered as machinery"):
        await call(hub, "upsert", {"class": "in_plant", "record": in_plant(3, internal_no="M001")})
    # The in-plant vehicle gets a new plate: the same record, found by its internal number.
    moved = await call(
        hub, "upsert", {"class": "in_plant", "record": {"internal_no": "CN0001", "plate": "冀B00003"}}
    )
    assert moved["action"] == "updated"
    assert await call(hub, "lookup", {"plate": "冀B00002"}) is None
    assert (await call(hub, "lookup", {"plate": "冀B00003"}))["key"] == "CN0001"


async def test_bad_records_are_refused_with_the_field_named(vehicles_hub) -> None:
    hub = await vehicles_hub()
    with pytest.raises(ServiceValidationError) as caught:
        await call(
            hub, "upsert", {"class": "transport", "record": transport(1, vin="LFWADRJF0J0000000", fuel="煤")}
        )
    fields = [f for f, _ in caught.value.errors]
    assert fields == ["record.vin", "record.fuel"] and "check digit" in str(caught.value)
    with pytest.raises(ServiceValidationError, match="class"):
        await call(hub, "upsert", {"class": "boat", "record": {}})
    assert (await call(hub, "list", {}))["total"] == 0


async def test_lookup_stays_fast_and_unchanged_after_restart(vehicles_hub, tmp_path) -> None:
    config_dir = tmp_path / "plant"
    hub = await vehicles_hub(config_dir=config_dir)
    await call(
        hub, "upsert", {"class": "transport", "record": transport(1, whitelist="保安全", hazardous="是")}
    )
    await call(hub, "blacklist_add", {"plate": "冀B00001", "reason": "遥感监测超标"})
    before = await call(hub, "lookup", {"plate": "冀B00001"})
    await hub.async_stop()
    again = await vehicles_hub(config_dir=config_dir)
    after = await call(again, "lookup", {"plate": "冀B00001"})
    assert after == before and after["whitelist"] == "safety" and after["hazardous"] is True
    assert after["blacklisted"] is True and after["blacklist_reason"] == "遥感监测超标"


async def test_blacklist_and_temporary_pass_expire_with_the_clock(vehicles_hub, clock) -> None:
    hub = await vehicles_hub()
    officer = await user_context(hub, Role.OFFICER)
    events = changes(hub)
    start = clock.now()
    await call(hub, "upsert", {"class": "transport", "record": transport(1)}, officer)
    until = (start + timedelta(days=2)).isoformat()
    await call(
        hub, "blacklist_add", {"plate": "冀B00001", "reason": "平台超标车辆", "valid_until": until}, officer
    )
    naive = (start + timedelta(hours=8)).replace(tzinfo=None).isoformat()
    permit = {
        "plate": "鲁C12345",
        "colour": "yellow",
        "valid_until": naive,
        "reason": "临时送货",
        "approver": "王主任",
    }
    stranger = await call(hub, "pass_add", permit, officer)
    assert stranger["entry"]["valid_until"] == (start + timedelta(hours=8)).isoformat()  # naive = plant time

    banned = await call(hub, "lookup", {"plate": "冀B00001"})
    assert banned["blacklisted"] is True and banned["blacklist_reason"] == "平台超标车辆"
    visitor = await call(hub, "lookup", {"plate": "鲁C12345"})
    assert visitor["registered"] is False and visitor["vehicle_class"] == "unknown"
    assert visitor["temporary_pass"]["approver"] == "王主任" and visitor["blacklisted"] is False

    clock.advance(timedelta(hours=8))
    assert await call(hub, "lookup", {"plate": "鲁C12345"}) is None  # the pass ran out
    clock.advance(timedelta(days=2))
    assert (await call(hub, "lookup", {"plate": "冀B00001"}))["blacklisted"] is False
    assert [e["plate"] for e in await call(hub, "lists", {"active_only": False})] == ["冀B00001", "鲁C12345"]
    assert await call(hub, "lists", {}) == []

    with pytest.raises(ServiceValidationError, match="reason"):
        await call(
            hub, "pass_add", {"plate": "鲁C12345", "valid_until": "2027-01-01", "reason": " "}, officer
        )
    with pytest.raises(Exception, match="after valid_from and now"):
        await call(
            hub, "pass_add", {"plate": "鲁C12345", "valid_until": start.isoformat(), "reason": "x"}, officer
        )
    assert [(e["class"], e["action"]) for e in events[1:]] == [("blacklist", "created"), ("pass", "created")]
    history = await call(hub, "history", {"class": "pass"}, officer)
    assert history["items"][0]["new"]["approver"] == "王主任"


async def test_blacklist_remove_and_pass_remove(vehicles_hub, clock) -> None:
    hub = await vehicles_hub()
    until = (clock.now() + timedelta(days=1)).isoformat()
    await call(hub, "blacklist_add", {"plate": "冀B00009", "reason": "超标"})
    first = await call(hub, "pass_add", {"plate": "冀B00009", "valid_until": until, "reason": "抢修"})
    assert (await call(hub, "lookup", {"plate": "冀B00009"}))["blacklisted"] is True
    assert await call(hub, "blacklist_remove", {"plate": "冀B00009"}) == {"removed": 1}
    assert (await call(hub, "lookup", {"plate": "冀B00009"}))["temporary_pass"]["id"] == first["entry"]["id"]
    assert await call(hub, "pass_remove", {"id": first["entry"]["id"]}) == {"removed": 1}
    assert await call(hub, "lookup", {"plate": "冀B00009"}) is None
    with pytest.raises(Exception, match="invalid plate"):
        await call(hub, "blacklist_add", {"plate": "冀B0000", "reason": "超标"})


async def test_roles(vehicles_hub) -> None:
    hub = await vehicles_hub()
    guard = await user_context(hub, Role.GUARD)
    inspector = await user_context(hub, Role.INSPECTOR)
    engineer = await user_context(hub, Role.ENGINEER)
    officer = await user_context(hub, Role.OFFICER)
    record = {"class": "transport", "record": transport(1)}
    for refused in (guard, inspector, engineer):
        with pytest.raises(Unauthorized):
            await call(hub, "upsert", record, refused)
    with pytest.raises(Unauthorized):
        await call(hub, "blacklist_add", {"plate": "冀B00001", "reason": "超标"}, inspector)
    with pytest.raises(Unauthorized):
        await call(hub, "lookup", {"plate": "冀B00001"}, engineer)
    with pytest.raises(Unauthorized):
        await call(hub, "export", {"class": "transport"}, guard)
    with pytest.raises(Unauthorized, match="hub itself"):  # a person may not name files on the hub's disk
        await call(hub, "export", {"class": "transport", "path": "/tmp/x.xlsx"}, officer)
    await call(hub, "upsert", record, officer)
    for reader in (guard, inspector, officer):
        assert (await call(hub, "lookup", {"plate": "冀B00001"}, reader))["registered"] is True
    assert (await call(hub, "export", {"class": "transport", "format": "csv"}, inspector))["rows"] == 1
    assert (await call(hub, "records", {"class": "transport"}, engineer))["items"][0]["key"] == "冀B00001"


async def test_photos_are_stored_by_hash(vehicles_hub) -> None:
    hub = await vehicles_hub("require_documents: true")
    with pytest.raises(ServiceValidationError, match="随车清单"):
        await call(hub, "upsert", {"class": "transport", "record": transport(1)})
    result = await call(
        hub, "upsert", {"class": "transport", "record": transport(1), "photos": {"photo_licence": JPEG}}
    )
    sha = result["record"]["photo_licence"]
    assert len(sha) == 64 and (await call(hub, "lookup", {"plate": "冀B00001"}))["documents_complete"] is True
    assert await call(hub, "photo", {"sha256": sha}) == {"content_type": "image/jpeg", "data": JPEG}
    assert list((hub.data_dir / "register").rglob(sha))
    with pytest.raises(ServiceValidationError, match="JPEG"):
        await call(
            hub,
            "upsert",
            {"class": "transport", "record": transport(2), "photos": {"photo_licence": b"GIF89a"}},
        )


async def test_list_and_records_for_the_uplink(vehicles_hub, clock) -> None:
    hub = await vehicles_hub()
    for n in range(1, 4):
        await call(hub, "upsert", {"class": "transport", "record": transport(n, fleet=f"车队{n % 2}")})
    mark = int(clock.now().timestamp())
    clock.advance(10)
    await call(hub, "upsert", {"class": "machinery", "record": machinery(1)})
    await call(hub, "delete", {"class": "transport", "key": "冀B00002"})
    await call(hub, "blacklist_add", {"plate": "冀B00003", "reason": "超标"})

    listed = await call(hub, "list", {"class": "transport", "fleet": "车队1", "page_size": 1})
    assert listed["total"] == 2 and [i["key"] for i in listed["items"]] == ["冀B00001"]
    assert [i["key"] for i in (await call(hub, "list", {"blacklisted": True}))["items"]] == ["冀B00003"]
    assert (await call(hub, "list", {"q": "ja000"}))["items"][0]["class"] == "machinery"
    recent = await call(hub, "records", {"changed_since_ts": mark})
    assert [i["key"] for i in recent["items"]] == ["JA00000001"]
    assert recent["deleted"] == [{"class": "transport", "key": "冀B00002", "changed_ts": mark + 10}]
    assert (await call(hub, "get", {"key": "冀B00001"}))["vin"] == transport(1)["vin"]


async def test_service_calls_reach_the_audit_stream(vehicles_hub) -> None:
    hub = await vehicles_hub()
    officer = await user_context(hub, Role.OFFICER)
    seen: list[dict[str, Any]] = []
    hub.bus.async_listen("service_called", lambda e: seen.append(dict(e.data)))
    await call(hub, "upsert", {"class": "transport", "record": transport(1)}, officer)
    with pytest.raises(Unauthorized):
        await call(hub, "delete", {"class": "transport", "key": "冀B00001"}, Context(user_id="nobody"))
    assert [(s["service"], s["outcome"]) for s in seen] == [("upsert", "ok"), ("delete", "refused")]


async def test_register_changes_land_in_the_ledger_audit_log(make_hub, clock) -> None:
    hub = await make_hub("hub:\n  name: 审计\nledger:\nvehicles:\n", clock=clock)
    officer = await user_context(hub, Role.OFFICER)
    await call(hub, "upsert", {"class": "transport", "record": transport(1)}, officer)
    await call(hub, "blacklist_add", {"plate": "冀B00001", "reason": "超标"}, officer)
    await hub.async_block_till_done()
    audit = await hub.services.async_call("ledger", "audit_query", {"action": "vehicles."}, Context())
    rows = {(i["action"], i["user_id"], i["target"]) for i in audit["items"]}
    assert ("vehicles.blacklist_add", officer.user_id, "冀B00001") in rows
    assert any(action == "vehicles.upsert" and user == officer.user_id for action, user, _ in rows)


async def test_changes_come_in_commit_order_a_slice_past_an_id(vehicles_hub) -> None:
    hub = await vehicles_hub()
    rows = [transport(n) for n in range(1, 51)]
    await call(hub, "import", {"class": "transport", "records": rows})  # one timestamp for all 50
    await call(hub, "blacklist_add", {"plate": "冀B99999", "reason": "平台黑名单"})
    first = await call(hub, "changes", {"limit": 20})
    assert first["rows_read"] == 20 and [c["action"] for c in first["changes"]] == ["created"] * 20
    seen = [c["key"] for c in first["changes"]]
    after = first["through"]
    while True:
        page = await call(hub, "changes", {"after_id": after, "limit": 20})
        if not page["rows_read"]:
            break
        seen += [c["key"] for c in page["changes"]]
        after = page["through"]
    # Every record once, in the order written; the blacklist entry is read past, not shown.
    assert seen == [r["plate"] for r in rows]
    since = await call(hub, "changes", {"since_ts": 0, "limit": 5})
    assert [c["key"] for c in since["changes"]] == seen[:5]
