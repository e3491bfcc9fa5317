"""Passages reach the platform simulator over HTTP, exactly once and in order per gate, whatever it does."""

from __future__ import annotations

import base64
from datetime import timedelta

from hub.core import Context
from hub.core.auth import Role
from tests.common import wait_state
from tests.components.uplink.conftest import (
    JPEG,
    acceptance_rows,
    passage,
    record,
    status,
    uplink_yaml,
)

SENSOR = "sensor.uplink_province_"


def two_gates(n: int) -> dict:
    gate = "east_gate" if n % 2 else "west_gate"
    return passage(n, gate=gate, lane="main", direction="in" if n % 4 < 2 else "out")


def by_gate(data: list[dict]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for item in data:
        groups.setdefault(item["gate"], []).append(item["passage_id"])
    return groups


async def test_passages_and_their_updates_reach_the_platform(make_hub, clock, sim) -> None:
    hub = await make_hub(uplink_yaml(sim.url), clock=clock)
    assert "uplink" in hub.loaded, hub.setup_errors
    data = [two_gates(n) for n in range(6)]
    for item in data:
        await record(hub, item)
        clock.advance(7)
    await sim.wait_for(lambda: len(sim.ids()) == 6)
    first = sim.received["passage"][data[1]["passage_id"]]
    assert first["plateNo"] == "冀B00001" and first["plateColor"] == 1 and first["direction"] == 1
    assert first["gateCode"] == "east_gate" and first["emissionStage"] == "5" and first["fuelType"] == "B"
    assert first["passTime"] == "20261124 080007" and first["plantCode"] == "91130200MA0TEST001"
    assert first["vehicleType"] == "重型半挂牵引车" and first["decision"] == 1
    assert base64.b64decode(first["platePhoto"]) == JPEG + b"plate-1"
    assert base64.b64decode(first["vehiclePhoto"]) == JPEG + b"scene-1"
    assert sim.received["passage"][data[2]["passage_id"]]["direction"] == 2
    assert sim.by_field("passage", "gateCode") == by_gate(data)
    # The platform's acceptance of each passage comes back as a ledger row the officer sees.
    await acceptance_rows(hub, 6)
    found = await hub.services.async_call("ledger", "query", {"passage_id": data[0]["passage_id"]})
    assert found["items"][0]["acceptance"] == "accepted"
    # Cargo and a plate correction filed later go as updates keyed by their own record id.
    guard = await hub.auth.async_add_user("wanggang", "correct horse", frozenset({Role.GUARD}))
    await hub.services.async_call("ledger", "record_followup", {
        "passage_id": data[0]["passage_id"], "kind": "cargo",
        "data": {"cargo": "铁精粉", "quantity": 32.46, "unit": "t", "origin": "迁安", "destination": "本厂"},
    })  # fmt: skip
    await hub.services.async_call(
        "ledger", "record_followup",
        {"passage_id": data[1]["passage_id"], "kind": "correction", "data": {"plate": "冀B12345"},
         "reason": "识别错误"}, Context(user_id=guard.id),
    )  # fmt: skip
    await sim.wait_for(lambda: len(sim.received["update"]) == 2)
    updates = sorted(sim.received["update"].values(), key=lambda u: u["updateType"])
    assert updates[0]["passageId"] == data[1]["passage_id"] and updates[0]["plateNo"] == "冀B12345"
    assert updates[0]["updateType"] == 1 and updates[0]["reason"] == "识别错误"
    assert updates[1]["cargoName"] == "铁精粉" and updates[1]["cargoVolume"] == 32.5
    assert updates[1]["recordId"].startswith(data[0]["passage_id"] + "-cargo-")
    # Our own acceptance rows never travel back up as records.
    assert len(sim.ids()) == 6 and sum(sim.duplicates.values()) == 0
    await wait_state(hub, SENSOR + "acknowledged_today", lambda s: s == "8")
    assert hub.states.get(SENSOR + "pending").state == "0"
    assert hub.states.get(SENSOR + "upload_rate").state == "100.0"
    assert hub.states.get("binary_sensor.uplink_province_connected").state == "on"
    day = (await status(hub))["days"][0]
    assert (day["date"], day["due"], day["sent"], day["acknowledged"], day["rejected"]) == (
        "2026-11-24",
        8,
        8,
        8,
        0,
    )


async def test_a_long_outage_loses_nothing_and_keeps_each_gates_order(make_hub, clock, sim) -> None:
    hub = await make_hub(uplink_yaml(sim.url, platform="batch_size: 7"), clock=clock)
    await sim.async_go_down()
    data = [two_gates(n) for n in range(60)]
    for item in data:  # six hours of traffic while the platform is unreachable
        await record(hub, item)
        clock.advance(timedelta(minutes=6))
    await wait_state(hub, "binary_sensor.uplink_province_connected", lambda s: s == "off")
    await wait_state(hub, SENSOR + "pending", lambda s: s == "60")
    assert hub.states.get(SENSOR + "upload_rate").state == "0.0"
    await sim.async_come_back()
    await sim.wait_for(lambda: len(sim.ids()) == 60, timeout=20)
    assert sim.by_field("passage", "gateCode") == by_gate(data)
    assert sum(sim.duplicates.values()) == 0
    await wait_state(hub, SENSOR + "pending", lambda s: s == "0")
    await wait_state(hub, "binary_sensor.uplink_province_connected", lambda s: s == "on")
    day = (await status(hub))["days"][0]
    assert day["acknowledged"] == 60 and day["upload_rate"] == 100.0 and day["on_time_rate"] < 100


async def test_errors_and_lost_acknowledgements_are_retried_without_duplicates(make_hub, clock, sim) -> None:
    hub = await make_hub(uplink_yaml(sim.url, platform="batch_size: 5"), clock=clock)
    sim.fail_next(3, status=500)
    sim.drop_acks(2)  # processed, but the answer is lost: the hub sends again, the platform dedups
    data = [two_gates(n) for n in range(23)]
    for item in data:
        await record(hub, item)
    await sim.wait_for(lambda: len(sim.ids()) == 23, timeout=20)
    # Pending is 0 for a moment too when a row is acknowledged before the count of due rows has it.
    await wait_state(hub, SENSOR + "acknowledged_today", lambda s: s == "23")
    await wait_state(hub, SENSOR + "pending", lambda s: s == "0")
    assert sim.by_field("passage", "gateCode") == by_gate(data)
    assert sim.duplicates["passage"] >= 2  # resent after the lost answers, kept once
    assert sorted(sim.ids()) == sorted(d["passage_id"] for d in data)
    day = (await status(hub))["days"][0]
    assert day["acknowledged"] == 23 and day["sent"] == 23 and day["duplicates"] >= 2


async def test_token_expiry_mid_stream(make_hub, clock, start_sim) -> None:
    sim = await start_sim(token_seconds=600)
    hub = await make_hub(uplink_yaml(sim.url), clock=clock)
    for n in range(3):
        await record(hub, passage(n))
    await sim.wait_for(lambda: len(sim.ids()) == 3)
    assert sim.token_grants == 1
    sim.expire_tokens()  # the platform forgets its tokens (restart, revocation)
    for n in range(3, 6):
        await record(hub, passage(n))
    await sim.wait_for(lambda: len(sim.ids()) == 6)
    assert sim.token_grants == 2 and sim.auth_failures == 1
    # Near the end of its life the token is replaced before use, without a refused request.
    clock.advance(560)
    await record(hub, passage(6))
    await sim.wait_for(lambda: len(sim.ids()) == 7)
    assert sim.token_grants == 3 and sim.auth_failures == 1
    assert sum(sim.duplicates.values()) == 0


async def test_a_token_shorter_lived_than_the_refresh_margin_still_serves_many_requests(
    make_hub, clock, start_sim
) -> None:
    """transport_token refreshes 600 s before expiry; a platform that grants 600 s tokens must not
    cost a login before every request."""
    sim = await start_sim("transport_token", token_seconds=600)
    text = uplink_yaml(sim.url, profile="transport_token", platform="codes: {gate: {east_gate: G01}}")
    hub = await make_hub(text.replace("control_poll_seconds: 0.1", "control_poll_seconds: 3600"), clock=clock)
    for n in range(3):
        await record(hub, passage(n))
        await sim.wait_for(lambda n=n: len(sim.ids()) == n + 1)
    assert sim.token_grants == 1


async def test_a_late_refusal_of_the_old_token_keeps_the_new_one(make_hub, clock, start_sim) -> None:
    """A vehicle check sent with the old token is refused after the delivery has fetched a new one:
    the check goes again with the new token, and no third token is asked for."""
    sim = await start_sim("transport_token")
    sim.faults.check_delay_seconds = 1.0
    text = uplink_yaml(sim.url, profile="transport_token", platform="codes: {gate: {east_gate: G01}}")
    quiet = text.replace("control_poll_seconds: 0.1", "control_poll_seconds: 3600")
    hub = await make_hub(quiet, clock=clock)  # no control poll in between: the check is what waits
    await record(hub, passage(0))
    await sim.wait_for(lambda: len(sim.ids()) == 1)
    check = hub.async_create_task(
        hub.services.async_call("uplink", "vehicle_check", {"plate": "冀B00001", "gate": "east_gate"})
    )
    await sim.wait_for(lambda: sim.in_flight == 1)  # the check is at the platform, with the old token
    sim.expire_tokens()
    await record(hub, passage(1))
    await sim.wait_for(lambda: len(sim.ids()) == 2)  # refused, a new token, sent again
    assert (await check)["platform"] == "province"  # refused a second later, answered the second time
    assert sim.token_grants == 2 and sim.auth_failures == 2


async def test_a_rejected_record_is_parked_and_the_rest_go_on(make_hub, clock, sim) -> None:
    sim.reject(plates=["冀B00002"])
    hub = await make_hub(uplink_yaml(sim.url, platform="batch_size: 3"), clock=clock)
    data = [passage(n) for n in range(8)]
    data[5]["colour"] = "purple"  # outside every plate-colour code list: cannot be sent at all
    for item in data:
        await record(hub, item)
    await sim.wait_for(lambda: len(sim.ids()) == 6)
    await wait_state(hub, SENSOR + "rejected_today", lambda s: s == "2")
    await wait_state(hub, SENSOR + "pending", lambda s: s == "0")
    expected = [d["passage_id"] for i, d in enumerate(data) if i not in (2, 5)]
    assert sim.ids() == expected
    parked = (await status(hub))["parked"]
    reasons = {p["plate"]: (p["source"], p["reason"]) for p in parked}
    assert reasons["冀B00002"][0] == "platform" and "备案" in reasons["冀B00002"][1]
    assert reasons["冀B00005"][0] == "mapping" and "purple" in reasons["冀B00005"][1]
    attrs = hub.states.get(SENSOR + "rejected_today").attributes
    assert attrs["parked_total"] == 2 and {p["plate"] for p in attrs["parked"]} == {"冀B00002", "冀B00005"}
    rows = await acceptance_rows(hub, 8)
    rejected = {r["passage_id"]: r for r in rows if r["status"] == "rejected"}
    assert set(rejected) == {data[2]["passage_id"], data[5]["passage_id"]}
    assert "备案" in rejected[data[2]["passage_id"]]["message"]
    # Once the platform accepts it (its register fixed), a resend of the day clears the parked record.
    sim.faults.reject_plates.clear()
    await hub.services.async_call(
        "uplink", "resend", {"start": "2026-11-24T00:00:00+08:00", "end": "2026-11-25T00:00:00+08:00"}
    )
    await sim.wait_for(lambda: data[2]["passage_id"] in sim.received["passage"])
    await wait_state(hub, SENSOR + "rejected_today", lambda s: s == "1")
    day = (await status(hub))["days"][0]
    assert (day["acknowledged"], day["rejected"], day["pending"]) == (7, 1, 0)
    assert [p["plate"] for p in (await status(hub))["parked"]] == ["冀B00005"]
