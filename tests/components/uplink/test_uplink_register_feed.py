"""The register goes up change by change through its feed: a big import sharing one timestamp is sent
once, a slice per round, never reread; updates and deletions follow in order (issue 20)."""

from __future__ import annotations

from typing import Any

from hub.util.vin import vin_check_digit
from tests.common import wait_entity
from tests.components.uplink.conftest import status, uplink_yaml

TRANSPORT = "register_transport"
CLASSES = ("register_transport", "register_in_plant", "register_machinery")
SLICE = 200  # register_feed.SLICE: history rows a round reads at most


def vin(n: int) -> str:
    body = f"LFWADRJF0J{n:07d}"
    return body[:8] + vin_check_digit(body) + body[9:]


def truck(n: int, **overrides: Any) -> dict[str, Any]:
    return {
        "plate": f"冀B{n:05d}", "colour": "yellow", "vehicle_type": "重型半挂牵引车", "vin": vin(n),
        "registration_date": "2021-05-06", "fuel": "B", "emission_stage": "6",
        "fleet": "唐山顺达物流有限公司", "network_status": True, **overrides,
    }  # fmt: skip


def register_yaml(url: str, batch: int = 20, db: str = "") -> str:
    return uplink_yaml(url, platform=f"batch_size: {batch}", extra="vehicles:\n", db=db)


async def test_an_import_sharing_one_timestamp_goes_up_once_a_slice_at_a_time(
    make_hub, clock, sim, tmp_path, database
) -> None:
    """All rows of one import carry one timestamp; a timestamp cursor reread all of them to send 20."""
    plant = tmp_path / "plant"
    hub = await make_hub(register_yaml(sim.url, db=database), clock=clock, config_dir=plant)
    assert {"vehicles", "uplink"} <= set(hub.loaded), hub.setup_errors
    records = [truck(n) for n in range(1, 1201)]
    result = await hub.services.async_call("vehicles", "import", {"class": "transport", "records": records})
    assert result["created"] == 1200, result
    await sim.wait_for(lambda: len(sim.received[TRANSPORT]) == 1200, timeout=60)
    assert sum(sim.duplicates.values()) == 0 and sum(sim.updates.values()) == 0
    assert sim.ids(TRANSPORT)[:3] == ["transport:冀B00001", "transport:冀B00002", "transport:冀B00003"]
    assert sim.requests[TRANSPORT] == 60  # batches of 20
    reads = (await status(hub))["register_reads"]
    assert reads["most_in_a_round"] <= SLICE
    assert reads["rows"] <= 1200 + 20, reads  # each change read once (and the empty look at the end)
    # Later changes follow in order, after a restart too, and nothing goes twice.
    await hub.async_stop()
    hub = await make_hub(register_yaml(sim.url, db=database), clock=clock, config_dir=plant)
    clock.advance(60)
    await hub.services.async_call(
        "vehicles", "upsert", {"class": "transport", "record": truck(7, fuel="E"), "mode": "replace"}
    )
    await hub.services.async_call("vehicles", "delete", {"class": "transport", "key": "冀B00008"})
    await sim.wait_for(lambda: sim.updates[TRANSPORT] == 2)
    assert sim.received[TRANSPORT]["transport:冀B00007"]["fuelType"] == "E"
    assert sim.received[TRANSPORT]["transport:冀B00008"]["action"] == 3
    assert sum(sim.duplicates.values()) == 0
    assert (await status(hub))["register_reads"]["rows"] <= 2 + 1


async def test_register_records_of_all_three_classes_go_up_on_change(make_hub, clock, sim) -> None:
    hub = await make_hub(register_yaml(sim.url), clock=clock)
    call = hub.services.async_call
    await call("vehicles", "upsert", {"class": "transport", "record": truck(12345)})
    await call("vehicles", "upsert", {"class": "in_plant", "record": {
        "internal_no": "CN-007", "plate": "冀B7K001", "colour": "yellow", "vehicle_type": "重型自卸货车",
        "vin": vin(50_001), "registration_date": "2019-03-15", "fuel": "B", "emission_stage": "5",
    }})  # fmt: skip
    await call("vehicles", "upsert", {"class": "machinery", "record": {
        "env_code": "130200M000123", "machine_type": "装载机", "emission_stage": "3", "fuel": "B",
        "production_date": "2019-03-01", "engine_model": "WD10G220", "engine_maker": "潍柴动力",
        "engine_no": "W0000001",
    }})  # fmt: skip
    await sim.wait_for(lambda: sum(len(sim.received[m]) for m in CLASSES) == 3)
    truck_sent = sim.received[TRANSPORT]["transport:冀B12345"]
    assert truck_sent["vin"] == vin(12345) and truck_sent["emissionStage"] == "6"
    assert truck_sent["registerDate"] == "20210506" and truck_sent["networked"] == 1
    assert truck_sent["plateColor"] == 1 and truck_sent["action"] == 1
    machine = sim.received["register_machinery"]["machinery:130200M000123"]
    assert machine["machineType"] == "装载机" and machine["productionDate"] == "20190301"
    # A blacklist entry is no register record: passed over, nothing sent for it.
    await call("vehicles", "blacklist_add", {"plate": "冀B99999", "reason": "测试"})
    await call("vehicles", "delete", {"class": "machinery", "key": "130200M000123"})
    await sim.wait_for(lambda: sim.updates["register_machinery"] == 1)
    assert sim.received["register_machinery"]["machinery:130200M000123"]["action"] == 3
    assert sum(sim.duplicates.values()) == 0


async def test_a_platform_followed_by_timestamp_goes_on_from_where_it_was(
    make_hub, clock, sim, tmp_path
) -> None:
    """After an upgrade, the feed starts at the first change of the second the old cursor had reached."""
    plant = tmp_path / "plant"
    text = register_yaml(sim.url)
    hub = await make_hub(text.replace("      account:", "      enabled: false\n      account:"), clock=clock,
                         config_dir=plant)  # fmt: skip
    await hub.services.async_call("vehicles", "upsert", {"class": "transport", "record": truck(1)})
    clock.advance(60)
    reached = int(clock.now().timestamp())
    await hub.services.async_call("vehicles", "upsert", {"class": "transport", "record": truck(2)})
    assert hub.db is not None
    await hub.db.connection.execute_query(  # the cursor an older release left: truck 1 sent, by timestamp
        "INSERT INTO uplink_cursor (platform, acked_seq, acked_above, sent_seq, scanned_seq, register_ts,"
        " register_seen, created_day, updated_at) VALUES ('province', 0, '[]', 0, 0, ?, '[]', '2026-11-24',"
        " '2026-11-24T08:00:00+08:00')",
        [reached],
    )
    await hub.async_stop()
    hub = await make_hub(text, clock=clock, config_dir=plant)
    await sim.wait_for(lambda: len(sim.received[TRANSPORT]) == 1)
    assert list(sim.received[TRANSPORT]) == ["transport:冀B00002"]
    assert (await status(hub))["cursor"]["register_seq"] >= 2


async def test_a_damaged_change_is_parked_and_the_register_goes_on(make_hub, clock, sim) -> None:
    hub = await make_hub(register_yaml(sim.url), clock=clock)
    call = hub.services.async_call
    await call("vehicles", "upsert", {"class": "transport", "record": truck(1)})
    assert hub.db is not None
    await hub.db.connection.execute_query(  # a history row another tool left unreadable
        "INSERT INTO vehicle_history (vclass, key, action, changed_ts, changed_at, door, origin, new,"
        " changes) VALUES ('transport', '冀B00002', 'created', ?, '2026-11-24T08:00:00+08:00', 'cli',"
        " 'other', '{not json', '{}')",
        [int(clock.now().timestamp())],
    )
    await call("vehicles", "upsert", {"class": "transport", "record": truck(3)})
    await sim.wait_for(lambda: len(sim.received[TRANSPORT]) == 2)
    assert list(sim.received[TRANSPORT]) == ["transport:冀B00001", "transport:冀B00003"]
    await wait_entity(
        hub, "sensor.uplink_province_rejected_today", lambda st: st.attributes.get("parked_total") == 1
    )
    (parked,) = (await status(hub))["parked"]
    assert parked["record_id"] == "transport:冀B00002" and "unreadable" in parked["reason"]
    assert parked["kind"] == "transport" and parked["source"] == "mapping"
