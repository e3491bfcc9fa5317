"""Planted anomalies through the hub's real paths (a microstation pushing over HTTP, the ledger's passages
and releases, the weighbridge's event) raise their event and turn their problem sensor on; the sensor
goes off again once the hold time has passed without another."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from hub.core import Hub, ServiceValidationError
from tests.integrations.mqtt.conftest import Subscriber

TOKEN = "station-token-0123456789"
CONFIG = f"""\
hub: {{}}
ledger: {{}}
airquality:
  stations:
    - {{key: fence, source: http, token: {TOKEN}, factors: [pm25, no2], fields: {{pm25: pm25, no2: no2}}}}
insight:
  anomalies: {{flat_readings: 5, missing_minutes: 15, hold_minutes: 60, weights_without_reads: 3,
              denials_before_release: 3}}
"""


async def push(hub: Hub, doc: dict[str, Any]) -> None:
    url = f"http://127.0.0.1:{hub.data['airquality'].push.port}/api/airquality/station/fence"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.post(url, json=doc, headers={"X-Auth-Token": TOKEN}) as resp:
            assert resp.status == 200, await resp.text()
    await hub.async_block_till_done()


def raised(events: list[Any]) -> list[tuple[str, str]]:
    return [(e.data["rule"], e.data["subject"]) for e in events]


async def test_microstation_flat_out_of_range_and_silent(make_hub, clock) -> None:
    hub = await make_hub(CONFIG, clock=clock)
    events: list[Any] = []
    hub.bus.async_listen("insight_anomaly", events.append)
    for i in range(6):  # PM2.5 moves, NO2 is stuck
        clock.advance(60)
        await push(hub, {"pm25": 30 + i, "no2": 21.5})
    assert raised(events) == [("station_flat", "fence/no2")]
    assert hub.states.get("binary_sensor.insight_station_flat").state == "on"
    assert hub.states.get("binary_sensor.insight_station_out_of_range").state == "off"
    await push(hub, {"pm25": 4000, "no2": 20})
    assert raised(events)[-1] == ("station_out_of_range", "fence/pm25")
    clock.advance(timedelta(minutes=16))
    await hub.async_block_till_done()
    assert raised(events)[-1] == ("station_missing", "fence")
    assert hub.states.get("binary_sensor.insight_station_missing").state == "on"
    clock.advance(timedelta(minutes=61))
    assert hub.states.get("binary_sensor.insight_station_flat").state == "off"
    listed = await hub.services.async_call("insight", "anomalies", {"rule": "station_missing"})
    assert [a["subject"] for a in listed["anomalies"]] == ["fence"]
    # An officer acknowledges one, once, with a note; the open list no longer holds it.
    first = listed["anomalies"][0]["id"]
    await hub.services.async_call("insight", "acknowledge", {"id": first, "note": "停电，已恢复"})
    with pytest.raises(ServiceValidationError, match="already acknowledged"):
        await hub.services.async_call("insight", "acknowledge", {"id": first, "note": "again"})
    still_open = await hub.services.async_call("insight", "anomalies", {"open_only": True})
    assert first not in [a["id"] for a in still_open["anomalies"]] and len(still_open["anomalies"]) == 2
    done = await hub.services.async_call("insight", "anomalies", {"rule": "station_missing"})
    assert done["anomalies"][0]["ack_note"] == "停电，已恢复" and done["anomalies"][0]["ack_user"] == "hub"


async def record(hub: Hub, plate: str, decision: str) -> str:
    passage_id = str(uuid.uuid4())
    await hub.services.async_call("ledger", "record_passage", {
        "passage_id": passage_id, "gate": "east_gate", "lane": "in", "direction": "in", "plate": plate,
        "colour": "yellow", "vehicle": {"emission_stage": "5", "fuel": "B", "fleet": "顺达"},
        "decision": decision,
    })  # fmt: skip
    return passage_id


async def test_repeated_denials_then_a_release_and_a_lane_weighing_unread(make_hub, clock) -> None:
    hub = await make_hub(CONFIG, clock=clock)
    events: list[Any] = []
    hub.bus.async_listen("insight_anomaly", events.append)
    # clean: one denial released by the guard, a weight after each read
    once = await record(hub, "冀B20001", "deny")
    await hub.services.async_call("ledger", "record_followup", {
        "passage_id": once, "kind": "release", "reason": "特批", "data": {"approver": "王"}})  # fmt: skip
    for _ in range(4):
        hub.bus.async_fire("plate_read", {"gate": "east_gate", "lane": "in", "plate": "冀B20002"})
        hub.bus.async_fire("weight_stable", {"gate": "east_gate", "lane": "in", "weight_kg": 30000})
    await hub.async_block_till_done()
    assert events == []
    # planted: three denials, then a release; three weights without a read
    ids = []
    for _ in range(3):
        clock.advance(300)
        ids.append(await record(hub, "冀B20003", "deny"))
    await hub.services.async_call("ledger", "record_followup", {
        "passage_id": ids[-1], "kind": "release", "reason": "领导同意", "data": {}})  # fmt: skip
    for _ in range(3):
        hub.bus.async_fire("weight_stable", {"gate": "east_gate", "lane": "in", "weight_kg": 30000})
    await hub.async_block_till_done()
    expected = [("denied_then_released", "冀B20003"), ("lane_without_reads", "east_gate_in")]
    assert sorted(raised(events)) == expected  # the release commits after the weights are seen
    assert hub.states.get("binary_sensor.insight_lane_without_reads").state == "on"
    assert hub.states.get("binary_sensor.insight_denied_then_released").attributes["subject"] == "冀B20003"


async def test_an_anomaly_reaches_mqtt_like_every_entity(make_hub) -> None:
    base = f"t{uuid.uuid4().hex[:8]}"
    subscriber = await Subscriber(1883, [f"{base}/#"]).async_ready()
    try:
        mqtt = f"mqtt: {{host: 127.0.0.1, port: 1883, base_topic: {base}}}\ninsight:"
        hub = await make_hub(CONFIG.replace("insight:", mqtt))
        topic = f"{base}/binary_sensor.insight_station_out_of_range/state"
        await subscriber.wait_for(topic, lambda m: m.text == "off", timeout=15)
        await push(hub, {"pm25": -5, "no2": 20})
        await subscriber.wait_for(topic, lambda m: m.text == "on", timeout=15)
    finally:
        subscriber.close()


async def test_a_fleet_at_night_and_a_vehicle_far_busier_than_its_fleet(make_hub, clock, tmp_path) -> None:
    config = CONFIG.replace("denials_before_release: 3}", "denials_before_release: 3, night_min_history: 6,\n"
                            "              frequent_min_entries: 5, frequent_factor: 2}")  # fmt: skip
    hub = await make_hub(config, clock=clock, config_dir=tmp_path / "plant")
    day = clock.now().replace(hour=9, minute=0)
    for d in range(3):  # three days of daytime trips, four trucks
        for i in range(4):
            clock.set(day + timedelta(days=d, minutes=20 * i))
            await record(hub, f"冀B3000{i}", "allow")
    await hub.async_stop()  # the rules' history comes back from the ledger

    hub = await make_hub(config, clock=clock, config_dir=tmp_path / "plant")
    events: list[Any] = []
    hub.bus.async_listen("insight_anomaly", events.append)
    clock.set(day + timedelta(days=3, hours=-6))  # 03:00
    await record(hub, "冀B30001", "allow")
    await hub.async_block_till_done()
    assert raised(events) == [("night_activity", "顺达")]
    clock.set(day + timedelta(days=3))
    for _ in range(5):  # 冀B30002: five more in the 24 h window, its peers one or two each
        clock.advance(600)
        await record(hub, "冀B30002", "allow")
    await hub.async_block_till_done()
    assert raised(events)[1:] == [("frequent_vehicle", "冀B30002")]
    assert hub.states.get("binary_sensor.insight_frequent_vehicle").state == "on"
    assert hub.states.get("binary_sensor.insight_night_activity").state == "off"  # 03:00 is past its hour


async def test_a_loop_detecting_vehicles_on_a_lane_without_reads(make_hub, clock) -> None:
    config = CONFIG + "  loops: {west_gate/main: binary_sensor.scada_loop}\n"
    hub = await make_hub(config, clock=clock)
    events: list[Any] = []
    hub.bus.async_listen("insight_anomaly", events.append)
    for i in range(6):  # a SCADA loop (a state any integration sets) sees six vehicles, the camera reads two
        if i < 2:
            hub.bus.async_fire("plate_read", {"gate": "west_gate", "lane": "main", "plate": "冀B40001"})
        hub.states.async_set("binary_sensor.scada_loop", "on")
        hub.states.async_set("binary_sensor.scada_loop", "off")
        clock.advance(60)
    await hub.async_block_till_done()
    assert raised(events) == [("lane_without_reads", "west_gate_main")]
