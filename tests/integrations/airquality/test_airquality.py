"""Microstations and remote-sensing units against real peers: HJ 212 over TCP, Modbus TCP, HTTP, MQTT."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from datetime import datetime
from typing import Any

import aiohttp
import pytest

from hub.core.const import EVENT_PASSAGE_RECORDED
from hub.integrations.airquality import hj212
from hub.integrations.airquality.const import EVENT_AIR_QUALITY_DATA, EVENT_REMOTE_SENSING_READING
from hub.util.modbus import ModbusDeviceServer, RegisterTables
from hub.util.registers import encode_number
from tests.common import expect_event, wait_state

TOKEN = "rs-token-0123456789abcdef"
STATION_TOKEN = "station-token-0123456789"


def numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


STATION_HJ212 = """\
hub: {}
airquality:
  stations:
    - key: fence_east
      name: 东厂界微站
      mn: AQ0001EAST
      password: "123456"
      silence_seconds: 120
"""


async def hj212_port(hub: Any) -> int:
    return hub.data["airquality"].hj212.port


async def send(port: int, *packets: bytes, replies: int = 0) -> list[bytes]:
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    answers = []
    try:
        for packet in packets:
            writer.write(packet)
        await writer.drain()
        for _ in range(replies):
            answers.append(await asyncio.wait_for(reader.readuntil(b"\r\n"), 5))
    finally:
        writer.close()
    return answers


def upload(
    at: datetime, pw: str = "123456", mn: str = "AQ0001EAST", pm25: float = 38.0, flag: int = 5
) -> bytes:
    return hj212.build_data(
        mn=mn, pw=pw, cn="2011", data_time=at, qn=hj212.qn_of(at), flag=flag,
        values={"a34004": (pm25, "N"), "a34002": (71.0, "N"), "a01008": (225.0, "N"), "a21005": (0.7, "N")},
    )  # fmt: skip


async def test_a_station_over_hj212_fills_its_sensors_and_goes_silent(make_hub, clock) -> None:
    hub = await make_hub(STATION_HJ212, clock=clock)
    assert hub.states.get("sensor.aq_fence_east_pm25").state == "unavailable"
    port = await hj212_port(hub)
    [reply] = await send(port, upload(clock.now()), replies=1)
    reply_packet = hj212.parse_segment(hj212.unframe(reply))
    assert (reply_packet.cn, reply_packet.qn) == ("9014", hj212.qn_of(clock.now()))
    state = await wait_state(hub, "sensor.aq_fence_east_pm25", numeric)
    assert float(state.state) == 38.0
    assert state.attributes["unit_of_measurement"] == "µg/m³"
    assert state.attributes["mn"] == "AQ0001EAST" and state.attributes["station"] == "东厂界微站"
    assert state.attributes["flag"] == "N" and state.attributes["data_time"] == clock.now().isoformat()
    assert float(hub.states.get("sensor.aq_fence_east_co").state) == 0.7
    assert hub.states.get("sensor.aq_fence_east_co").attributes["unit_of_measurement"] == "mg/m³"
    assert float(hub.states.get("sensor.aq_fence_east_wind_direction").state) == 225.0
    # The last hour's average (CN=2061, stamped with the hour's start) is an event; it does not replace
    # the newer real-time value.
    records = []
    hub.bus.async_listen(EVENT_AIR_QUALITY_DATA, records.append)
    hour = clock.now().replace(hour=7, minute=0, second=0)
    hourly = hj212.build_data(
        mn="AQ0001EAST", pw="123456", cn="2061", data_time=hour, values={"a34004": (52.0, "N")}
    )
    [reply] = await send(port, hourly, replies=1)
    assert b"CN=9014" in reply
    await hub.async_block_till_done()
    assert [(r.data["kind"], r.data["values"]["pm25"], r.data["data_time"]) for r in records] == [
        ("hour", 52.0, hour.isoformat())
    ]
    assert hub.states.get("sensor.aq_fence_east_pm25").state == "38.0"
    clock.advance(121)
    await wait_state(hub, "sensor.aq_fence_east_pm25", lambda s: s == "unavailable")


async def test_bad_packets_are_refused_with_one_line_and_the_hub_goes_on(make_hub, clock, caplog) -> None:
    caplog.set_level(logging.WARNING, "hub.integrations.airquality")
    hub = await make_hub(STATION_HJ212, clock=clock)
    port = await hj212_port(hub)
    good = upload(clock.now())
    bad_crc = good[:-6] + b"0000\r\n"
    bad_frame = b"$$" + good[2:]
    unknown_code = hj212.frame(
        f"QN=1;ST=22;CN=2011;PW=123456;MN=AQ0001EAST;Flag=5;CP=&&DataTime={clock.now():%Y%m%d%H%M%S};"
        "x99999-Rtd=1,x99999-Flag=N&&"
    )
    wrong_pw = upload(clock.now(), pw="654321")
    unknown_mn = upload(clock.now(), mn="NOBODY")
    # One connection, bad ones first: none is answered, the good one after them is.
    [reply] = await send(port, bad_crc, bad_frame, unknown_code, wrong_pw, unknown_mn, good, replies=1)
    assert b"CN=9014" in reply
    await wait_state(hub, "sensor.aq_fence_east_pm25", numeric)
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1 and "bad CRC" in refused[0]  # throttled per peer: the rest are counted
    caplog.clear()
    clock.advance(61)
    await send(port, unknown_code, good, replies=1)
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert (
        len(refused) == 1 and "unknown factor code 'x99999'" in refused[0] and "4 more refused" in refused[0]
    )
    # A flood without a line end is cut off; the server still takes the next station.
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    writer.write(b"##" + b"9" * 5000)
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    # A peer that sends nothing but refused packets is cut off after 100 in a row.
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    writer.write(bad_crc * 150)
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), 5) == b""
    writer.close()
    [reply] = await send(port, upload(clock.now(), pm25=41.0), replies=1)
    await wait_state(hub, "sensor.aq_fence_east_pm25", lambda s: s == "41.0")


async def test_packets_split_or_joined_by_tcp_are_reassembled(make_hub, clock, caplog) -> None:
    caplog.set_level(logging.WARNING, "hub.integrations.airquality")
    hub = await make_hub(STATION_HJ212, clock=clock)
    port = await hj212_port(hub)
    records: list[Any] = []
    hub.bus.async_listen(EVENT_AIR_QUALITY_DATA, records.append)
    first, second = upload(clock.now(), pm25=30.0), upload(clock.now(), pm25=31.0)
    liar = b"##0900" + upload(clock.now(), pm25=99.0)[6:]
    reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 5)
    try:
        # One packet in three writes, then two in one with noise and a lying length between them.
        for piece in (first[:3], first[3:40], first[40:], b"AT+OK\r\n" + liar + second + first):
            writer.write(piece)
            await writer.drain()
        replies = [await asyncio.wait_for(reader.readuntil(b"\r\n"), 5) for _ in range(3)]
    finally:
        writer.close()
    assert all(b"CN=9014" in reply for reply in replies)
    await hub.async_block_till_done()
    assert [r.data["values"]["pm25"] for r in records] == [30.0, 31.0, 30.0]
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1 and "garbage between packets skipped (b'AT+OK" in refused[0]
    await send(port, upload(clock.now(), pm25=42.0), replies=1)
    await wait_state(hub, "sensor.aq_fence_east_pm25", lambda s: s == "42.0")


async def test_the_simulated_station_sends_hj212_and_plumes_follow_passages(make_hub) -> None:
    hub = await make_hub(STATION_HJ212 + "      simulator: {interval_seconds: 3600, seed: 3}\n")
    state = await wait_state(hub, "sensor.aq_fence_east_pm25", numeric)
    assert 5 < float(state.state) < 300
    for key in ("pm10", "tsp", "no2", "so2", "co", "o3", "wind_speed", "wind_direction", "temperature"):
        assert numeric(hub.states.get(f"sensor.aq_fence_east_{key}").state), key
    sim = hub.data["airquality"].simulators["fence_east"]
    sim.options.bearing_from_road = (sim.wind_from + 180) % 360  # the wind blows from the road to it
    quiet = sim.sample()["no2"]
    for _ in range(5):
        hub.bus.async_fire(EVENT_PASSAGE_RECORDED, {"kind": "passage", "emission_stage": "3", "fuel": "B"})
    await hub.async_block_till_done()
    records = []
    hub.bus.async_listen(EVENT_AIR_QUALITY_DATA, records.append)
    await sim.async_send_now()
    await hub.async_block_till_done()
    assert records and records[-1].data["source"] == "hj212"
    assert records[-1].data["values"]["no2"] > quiet + 15  # five 国三 trucks upwind


REMOTE = f"""\
hub: {{}}
airquality:
  remote_sensing:
    - key: east_road
      name: 东门遥感
      site: 东门进厂道路
      gate: east_gate
      lane: in
      token: {TOKEN}
      fields: {{plate: vehicle.plate, no_ppm: gas.NO}}
      simulator: {{invalid_share: 0, plate_share: 1, seed: 1}}
"""


async def test_remote_sensing_readings_fire_events_with_the_plate(make_hub) -> None:
    hub = await make_hub(REMOTE.replace("      simulator: {invalid_share: 0, plate_share: 1, seed: 1}\n", ""))
    port = hub.data["airquality"].push.port
    url = f"http://127.0.0.1:{port}/api/airquality/remote_sensing/east_road"
    readings = []
    hub.bus.async_listen(EVENT_REMOTE_SENSING_READING, readings.append)
    body = {"vehicle": {"plate": "冀b·12345"}, "gas": {"NO": 1830}, "hc_ppm": 140, "co_pct": 0.12,
            "co2_pct": 10.1, "opacity_pct": 22.5, "speed_kmh": 18.2, "accel_ms2": 0.4, "valid": True,
            "time": "2026-11-24T08:01:02+08:00", "reading_id": "R-1"}  # fmt: skip
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        async with session.post(url, json=body, headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
            assert resp.status == 200 and (await resp.json())["reading_id"] == "R-1"
        async with session.post(
            url, json=body, headers={"Authorization": "Bearer wrong-token-000000000"}
        ) as resp:
            assert resp.status == 401
        async with session.post(url, data=b"{not json", headers={"X-Auth-Token": TOKEN}) as resp:
            assert resp.status == 422
        bad_time = dict(body, time="0001-01-01T00:00:00")
        async with session.post(url, json=bad_time, headers={"X-Auth-Token": TOKEN}) as resp:
            assert resp.status == 422 and "time" in (await resp.json())["error"]
        async with session.post(url.replace("east_road", "nowhere"), json=body) as resp:
            assert resp.status == 404
    await hub.async_block_till_done()
    assert len(readings) == 1
    reading = readings[0].data
    assert reading["plate"] == "冀B12345" and reading["no_ppm"] == 1830 and reading["opacity_pct"] == 22.5
    assert (reading["gate"], reading["lane"], reading["site"], reading["valid"]) == (
        "east_gate",
        "in",
        "东门进厂道路",
        True,
    )
    assert reading["at"] == "2026-11-24T08:01:02+08:00"
    state = hub.states.get("sensor.rs_east_road_no_ppm")
    assert state.state == "1830.0" and state.attributes["plate"] == "冀B12345"
    assert hub.states.get("sensor.rs_east_road_plate").state == "冀B12345"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        unread = dict(body, vehicle={"plate": "未识别"}, valid=0, reading_id="R-2")
        async with session.post(url, json=unread, headers={"X-Auth-Token": TOKEN}) as resp:
            assert resp.status == 200
    await hub.async_block_till_done()
    assert readings[-1].data["plate"] is None and readings[-1].data["valid"] is False


async def test_the_remote_sensing_simulator_measures_each_passing_vehicle(make_hub) -> None:
    hub = await make_hub(REMOTE.replace("fields: {plate: vehicle.plate, no_ppm: gas.NO}", "fields: {}"))
    plates = {"冀B10003": "3", "冀B10006": "6"}
    for plate, stage in plates.items():
        waiter = expect_event(hub, EVENT_REMOTE_SENSING_READING, {"plate": plate})
        hub.bus.async_fire(EVENT_PASSAGE_RECORDED, {"kind": "passage", "gate": "east_gate", "lane": "in",
                           "direction": "in", "plate": plate, "emission_stage": stage})  # fmt: skip
        event = await waiter
        plates[plate] = event.data
    assert plates["冀B10003"]["opacity_pct"] > plates["冀B10006"]["opacity_pct"]
    assert plates["冀B10003"]["valid"] and plates["冀B10003"]["unit"] == "east_road"


async def test_a_modbus_station_is_read_by_its_register_map(make_hub, clock) -> None:
    tables = RegisterTables(size=64)
    tables.input_registers[0:2] = encode_number(52.5, "float32")
    tables.input_registers[10] = 1234  # wind speed in 0.01 m/s
    device = ModbusDeviceServer(tables)
    port = await device.async_start()
    try:
        hub = await make_hub(
            f"""\
hub: {{}}
airquality:
  stations:
    - key: fence_west
      source: modbus
      port: {port}
      scan_seconds: 0.1
      silence_seconds: 60
      factors: [pm25, wind_speed]
      registers:
        pm25: {{address: 0}}
        wind_speed: {{address: 10, type: uint16, scale: 0.01}}
""",
            clock=clock,
        )
        await wait_state(hub, "sensor.aq_fence_west_pm25", lambda s: s == "52.5")
        await wait_state(hub, "sensor.aq_fence_west_wind_speed", lambda s: s == "12.34")
        tables.input_registers[0:2] = encode_number(60.0, "float32")
        await wait_state(hub, "sensor.aq_fence_west_pm25", lambda s: s == "60.0")
        device.answering = False  # the station hangs: nothing more is recorded
        await device.async_stop()
        clock.advance(61)
        await wait_state(hub, "sensor.aq_fence_west_pm25", lambda s: s == "unavailable")
    finally:
        await device.async_stop()


async def test_http_and_mqtt_stations_share_one_field_map(make_hub) -> None:
    topic = f"test/{uuid.uuid4().hex}/aq"
    hub = await make_hub(f"""\
hub: {{}}
mqtt: {{host: 127.0.0.1, port: 1883, base_topic: t{uuid.uuid4().hex[:8]}, discovery: false}}
airquality:
  stations:
    - {{key: pushed, source: http, token: {STATION_TOKEN}, factors: [pm25, no2],
       fields: {{pm25: data.PM25, no2: "data.values[0]"}}, time_field: ts}}
    - {{key: broker, source: mqtt, topic: {topic}, factors: [pm25, no2], fields: {{pm25: pm25, no2: no2}}}}
  remote_sensing:
    - {{key: mqtt_road, source: mqtt, topic: {topic}/rs, fields: {{plate: car.plate, opacity_pct: car.k}}}}
""")
    url = f"http://127.0.0.1:{hub.data['airquality'].push.port}/api/airquality/station/pushed"
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session:
        doc = {"data": {"PM25": 33.3, "values": [21]}, "ts": "2026-11-24 08:00:00"}
        async with session.post(url, json=doc, headers={"X-Auth-Token": STATION_TOKEN}) as resp:
            assert resp.status == 200
        async with session.post(url, json={"data": {}}, headers={"X-Auth-Token": STATION_TOKEN}) as resp:
            assert resp.status == 422 and "none of" in (await resp.json())["error"]
        async with session.post(
            url, json={"data": {"PM25": "x"}}, headers={"X-Auth-Token": STATION_TOKEN}
        ) as resp:
            assert resp.status == 422 and "pm25" in (await resp.json())["error"]
    state = await wait_state(hub, "sensor.aq_pushed_pm25", lambda s: s == "33.3")
    assert state.attributes["data_time"] == "2026-11-24T08:00:00+08:00"
    assert hub.states.get("sensor.aq_pushed_no2").state == "21.0"
    await wait_state(hub, "binary_sensor.mqtt_broker_connected", lambda s: s == "on", 15)
    await hub.async_block_till_done()
    hub.data["mqtt"].connection.publish(topic, b'{"pm25": 12.5, "no2": 30}', 1)
    await wait_state(hub, "sensor.aq_broker_pm25", lambda s: s == "12.5")
    assert hub.states.get("sensor.aq_broker_no2").state == "30.0"
    waiter = expect_event(hub, EVENT_REMOTE_SENSING_READING)
    hub.data["mqtt"].connection.publish(
        f"{topic}/rs", json.dumps({"car": {"plate": "津C54321", "k": 31.5}}).encode(), 1
    )
    reading = (await waiter).data
    assert (reading["unit"], reading["plate"], reading["opacity_pct"]) == ("mqtt_road", "津C54321", 31.5)


@pytest.mark.parametrize(
    ("section", "error"),
    [
        ("stations: [{key: a, source: hj212}]", "needs mn, password"),
        ("stations: [{key: a, source: modbus, port: 502}]", "needs registers"),
        (
            "stations: [{key: a, source: http, token: 0123456789abcdef, fields: {pm25: x}, factors: [no2]}]",
            "not in `factors`",
        ),
        ("stations: [{key: a, mn: M, password: p, factors: [smoke]}]", "unknown factor"),
        ("stations: [{key: a, mn: M, password: 123456}]", "write it in quotes"),
        ("stations: [{key: a, mn: M, password: p}, {key: b, mn: M, password: p}]", "MN configured twice"),
        ("remote_sensing: [{key: r, source: mqtt, topic: t, simulator: true}]", "pushes over HTTP"),
        ("remote_sensing: [{key: r, token: short}]", "at least 16"),
    ],
)
async def test_bad_configuration_is_named(make_hub, section, error) -> None:
    from hub.core import ConfigError

    with pytest.raises(ConfigError, match=error):
        await make_hub(f"hub: {{}}\nairquality:\n  {section}\n")
