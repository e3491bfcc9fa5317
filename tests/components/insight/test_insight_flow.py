"""The component with the real remote-sensing simulator and the ledger: clean traffic is joined and raises
nothing; a planted high emitter is found, its passage gets an `emission` follow-up row, it and its
carrier are flagged, and (policy: deny) it is on the blacklist for its next arrival."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import aiohttp

from hub.core import Hub

TOKEN = "rs-token-0123456789abcdef"
CONFIG = f"""\
hub:
  name: t
DATABASE
ledger: {{}}
vehicles: {{}}
reports: {{schedule_enabled: false}}
airquality:
  stations:
    - {{key: fence_east, mn: AQ0001EAST, password: "123456", simulator: {{interval_seconds: 3600, seed: 2}}}}
  remote_sensing:
    - {{key: east_road, gate: east_gate, lane: in, token: {TOKEN},
       simulator: {{invalid_share: 0, plate_share: 1, seed: 5}}}}
insight:
  limits:
    - {{fuel: B, stages: ["6"], opacity_pct: 10, no_ppm: 500}}
    - {{fuel: B, opacity_pct: 30, no_ppm: 1500}}
  flagging: {{policy: deny, deny_days: 7}}
"""
# plate -> (stage, fleet): two carriers, 国五 and 国六 diesel trucks
FLEET = {f"冀B{10000 + i}": ("6" if i % 2 else "5", "顺达物流" if i < 6 else "宏远运输") for i in range(12)}
DIRTY = "冀B10001"  # registered 国六, emits like a 国三 (a removed SCR, say)


async def passage(hub: Hub, plate: str, stage: str, fleet: str, direction: str = "in") -> str:
    passage_id = str(uuid.uuid4())
    await hub.services.async_call("ledger", "record_passage", {
        "passage_id": passage_id, "gate": "east_gate", "lane": direction, "direction": direction,
        "plate": plate, "colour": "yellow", "vehicle_class": "transport",
        "vehicle": {"emission_stage": stage, "fuel": "B", "fleet": fleet}, "decision": "allow",
    })  # fmt: skip
    return passage_id


async def morning(hub: Hub, clock: Any, joined: list[Any]) -> dict[str, str]:
    """Each truck enters once, a minute apart; every entry is measured by the simulated unit."""
    ids = {}
    for plate, (stage, fleet) in FLEET.items():
        clock.advance(timedelta(minutes=1))
        ids[plate] = await passage(hub, plate, stage, fleet)
        await hub.async_block_till_done()
    assert len(joined) == len(FLEET)
    return ids


async def test_clean_traffic_is_joined_and_raises_nothing(make_hub, clock) -> None:
    hub = await make_hub(CONFIG.replace("DATABASE\n", ""), clock=clock)
    joined, anomalies, records = [], [], []
    hub.bus.async_listen("insight_reading_joined", joined.append)
    hub.bus.async_listen("insight_anomaly", anomalies.append)
    hub.bus.async_listen("air_quality_data", records.append)
    ids = await morning(hub, clock, joined)
    station = hub.data["airquality"].simulators["fence_east"]
    for _ in range(40):  # the fence station every 30 s over the traffic, over HJ 212
        clock.advance(30)
        await station.async_send_now()
        await hub.async_block_till_done()
    assert len(records) >= 40
    assert {e.data["passage_id"] for e in joined} == set(ids.values())
    assert {e.data["method"] for e in joined} == {"plate"}
    assert not [e for e in joined if e.data["exceeded"]] and anomalies == []
    assert hub.states.get("binary_sensor.insight_remote_sensing_exceedance").state == "off"
    assert hub.states.get("sensor.insight_flagged_vehicles").state == "0"
    listed = await hub.services.async_call("insight", "readings", {"limit": 100})
    assert len(listed["readings"]) == len(FLEET) and all(r["passage_id"] for r in listed["readings"])


async def test_a_planted_high_emitter_is_flagged_with_its_passage_and_carrier(make_hub, clock, database):
    hub = await make_hub(CONFIG.replace("DATABASE\n", database), clock=clock)
    joined, flags = [], []
    hub.bus.async_listen("insight_reading_joined", joined.append)
    hub.bus.async_listen("insight_exceedance", flags.append)
    ids = await morning(hub, clock, joined)
    clock.advance(timedelta(minutes=30))
    ids[DIRTY] = await passage(hub, DIRTY, *FLEET[DIRTY])  # its second trip
    await hub.async_block_till_done()
    sim = hub.data["airquality"].simulators["east_road"]
    # The unit measures the truck as it really is: like a 国三.
    clock.advance(timedelta(seconds=20))
    await sim.async_send(sim.reading({"plate": DIRTY, "emission_stage": "3", "fuel": "B", "lane": "in"}))
    await hub.async_block_till_done()

    assert [f.data["plate"] for f in flags] == [DIRTY]
    flag = flags[0].data
    assert flag["passage_id"] == ids[DIRTY] and flag["fleet"] == "顺达物流"
    assert set(flag["exceeded"]) & {"no_ppm", "opacity_pct"}
    found = await hub.services.async_call("ledger", "query", {"passage_id": ids[DIRTY]})
    followups = found["items"][0]["followups"]
    emission = [f for f in followups if f["kind"] == "emission"]
    assert len(emission) == 1 and emission[0]["reading_id"] == flag["reading_id"]
    assert hub.states.get("binary_sensor.insight_remote_sensing_exceedance").state == "on"
    flagged = hub.states.get("sensor.insight_flagged_vehicles")
    assert flagged.state == "1" and flagged.attributes["carriers"] == ["顺达物流"]
    assert flagged.attributes["plates"] == [DIRTY]
    answer = await hub.services.async_call("insight", "flagged", {})
    assert answer["carriers"] == [{"fleet": "顺达物流", "vehicles": 1, "exceedances": 1}]
    scores = {c["fleet"]: c for c in (await hub.services.async_call("insight", "carriers", {}))["carriers"]}
    assert scores["顺达物流"]["exceedances"] == 1 and scores["宏远运输"]["exceedances"] == 0
    assert scores["顺达物流"]["stages"]["6"]["mean_no"] > scores["宏远运输"]["stages"]["6"]["mean_no"]
    # The month's carrier scorecards carry the same remote-sensing figures.
    cards = await hub.services.async_call("reports", "carriers", {"period": "month"})
    sensed = {c["fleet"]: c["remote_sensing"] for c in cards["carriers"]}
    assert sensed["顺达物流"]["exceedances"] == 1 and sensed["宏远运输"]["exceedances"] == 0
    assert sensed["顺达物流"]["readings"] == scores["顺达物流"]["readings"]
    # policy: deny -> on the blacklist, for its next arrival, with the reason
    looked = await hub.services.async_call("vehicles", "lookup", {"plate": DIRTY})
    assert looked["blacklisted"] and "尾气遥感超标" in looked["blacklist_reason"]
    audit = await hub.services.async_call("ledger", "audit_query", {"action": "vehicles.blacklist_add"})
    assert [row["target"] for row in audit["items"]] == [DIRTY]
    # the clean ones are not
    other = await hub.services.async_call("vehicles", "lookup", {"plate": "冀B10003"})
    assert not (other or {}).get("blacklisted")


async def test_a_vehicle_on_the_platform_blacklist_keeps_that_entry(make_hub, clock) -> None:
    hub = await make_hub(CONFIG.replace("DATABASE\n", ""), clock=clock)
    await hub.services.async_call("vehicles", "blacklist_add", {
        "plate": DIRTY, "reason": "省平台超标车辆名单", "source": "platform"})  # fmt: skip
    flags: list[Any] = []
    hub.bus.async_listen("insight_exceedance", flags.append)
    await passage(hub, DIRTY, *FLEET[DIRTY])
    await hub.async_block_till_done()
    sim = hub.data["airquality"].simulators["east_road"]
    await sim.async_send(sim.reading({"plate": DIRTY, "emission_stage": "3", "fuel": "B", "lane": "in"}))
    await hub.async_block_till_done()
    assert len(flags) == 1
    looked = await hub.services.async_call("vehicles", "lookup", {"plate": DIRTY})
    assert looked["blacklist_reason"] == "省平台超标车辆名单"  # not replaced by a 7-day entry


async def test_unplated_readings_join_by_lane_and_a_restart_keeps_the_window(
    make_hub, clock, tmp_path, database
) -> None:
    config = CONFIG.replace("plate_share: 1", "plate_share: 0").replace("DATABASE\n", database)
    hub = await make_hub(config, clock=clock, config_dir=tmp_path / "plant")
    joined: list[Any] = []
    hub.bus.async_listen("insight_reading_joined", joined.append)
    ids = await morning(hub, clock, joined)
    assert {e.data["method"] for e in joined} == {"lane"}
    assert [e.data["passage_id"] for e in joined] == list(ids.values())
    clock.advance(timedelta(seconds=30))
    last = await passage(hub, "冀B10005", *FLEET["冀B10005"])  # the unit is slow: its reading comes later
    await hub.async_block_till_done()
    await hub.async_stop()

    without_simulator = config.replace("{invalid_share: 0, plate_share: 0, seed: 5}", "false")
    hub = await make_hub(without_simulator, clock=clock, config_dir=tmp_path / "plant")
    joined.clear()
    hub.bus.async_listen("insight_reading_joined", joined.append)
    clock.advance(timedelta(seconds=10))
    url = f"http://127.0.0.1:{hub.data['airquality'].push.port}/api/airquality/remote_sensing/east_road"
    body = {"no_ppm": 300, "opacity_pct": 1.0, "lane": "in", "reading_id": "late-1"}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.post(url, json=body, headers={"X-Auth-Token": TOKEN}) as resp:
            assert resp.status == 200
    await hub.async_block_till_done()
    assert [(e.data["passage_id"], e.data["method"]) for e in joined] == [(last, "lane")]
