"""Each anomaly rule is an OPC UA alarm (Alarms & Conditions, asyncua client) and an MQTT binary sensor
(Home Assistant discovery, state and attributes on a real Mosquitto); a station reading out of range,
sent over HJ 212, raises both."""

from __future__ import annotations

import asyncio
import json
import uuid

from asyncua import ua

from hub.integrations.airquality import hj212
from tests.common import wait_state, wait_until
from tests.integrations.mqtt.ha_mqtt import HomeAssistant
from tests.integrations.opcua.conftest import NAMESPACE
from tests.integrations.opcua.test_opcua_alarms import ACKNOWLEDGE, states, watch

RULES = ("FrequentVehicle", "NightActivity", "DeniedThenReleased", "LaneWithoutReads", "StationFlat",
         "StationOutOfRange", "StationMissing", "RemoteSensingExceedance")  # fmt: skip
SENSORS = ("frequent_vehicle", "night_activity", "denied_then_released", "lane_without_reads", "station_flat",
           "station_out_of_range", "station_missing", "remote_sensing_exceedance")  # fmt: skip
STATION = """\
airquality:
  stations: [{key: fence_east, mn: AQ0001EAST, password: "123456"}]
insight: {}
"""


async def send_out_of_range(hub, clock) -> None:
    packet = hj212.build_data(
        mn="AQ0001EAST", pw="123456", cn="2011", data_time=clock.now(), values={"a34004": (5000.0, "N")}
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", hub.data["airquality"].hj212.port)
    try:
        writer.write(packet)
        await asyncio.wait_for(reader.readuntil(b"\r\n"), 5)
    finally:
        writer.close()


async def test_every_rule_is_an_opc_ua_alarm_raised_with_its_summary(opcua_hub, connect, clock) -> None:
    hub = await opcua_hub(STATION, clock=clock)
    async with connect(hub, "guard1") as guard:
        idx = await guard.get_namespace_index(NAMESPACE)
        for rule in RULES:  # each a condition of the plant, typed OffNormalAlarm
            condition = guard.get_node(ua.NodeId(f"Plant.{rule}", idx))
            assert (await condition.read_type_definition()) == ua.NodeId(ua.ObjectIds.OffNormalAlarmType)
        alarms, _ = await watch(guard, guard.nodes.server)
        await send_out_of_range(hub, clock)
        raised = await alarms.next("StationOutOfRange")
        assert raised.NodeId == ua.NodeId("Plant.StationOutOfRange", idx)
        assert states(raised) == (True, False, False, True)
        assert "fence_east" in raised.Message.Text and "5000" in raised.Message.Text
        comment = ua.LocalizedText("已派人检查")
        await guard.get_node(raised.NodeId).call_method(ACKNOWLEDGE, raised.EventId, comment)
        assert states(await alarms.next("StationOutOfRange"))[:2] == (True, True)
        clock.advance(61 * 60)  # past hold_minutes: the rule's sensor goes off, the alarm clears
        await wait_state(hub, "binary_sensor.insight_station_out_of_range", "off")
        assert states(await alarms.next("StationOutOfRange"))[0] is False


async def test_every_rule_is_an_mqtt_binary_sensor_with_its_last_anomaly(
    make_hub, clock, broker, subscribe
) -> None:
    tag = uuid.uuid4().hex[:8]
    base, prefix = f"eg{tag}", f"ha{tag}"
    sub = await subscribe(broker.port, [f"{prefix}/#", f"{base}/#"])
    mqtt = f"mqtt: {{port: {broker.port}, base_topic: {base}, discovery_prefix: {prefix}, node_id: plant1}}\n"
    hub = await make_hub("hub: {name: 测试厂}\nledger: {}\n" + STATION + mqtt, clock=clock)
    entity = "binary_sensor.insight_station_out_of_range"
    await sub.wait_for(f"{base}/{entity}/state", lambda m: m.text == "off")

    def discovered() -> bool:
        ha = HomeAssistant(prefix)
        for message in sub.messages:
            ha.feed(message.topic, message.payload)
        return any(e.config.get("default_entity_id") == entity for e in ha.entities.values())

    await wait_until(discovered)
    ha = HomeAssistant(prefix)
    for message in sub.messages:
        ha.feed(message.topic, message.payload)
    for rule in SENSORS:
        config = ha.by_default_id(f"binary_sensor.insight_{rule}")
        assert config["device_class"] == "problem"
        assert config["state_topic"] == f"{base}/binary_sensor.insight_{rule}/state"
    await send_out_of_range(hub, clock)
    await sub.wait_for(f"{base}/{entity}/state", lambda m: m.text == "on")
    attributes = await sub.wait_for(f"{base}/{entity}/attributes", lambda m: b"fence_east" in m.payload)
    anomaly = json.loads(attributes.payload)
    assert anomaly["rule"] == "station_out_of_range" and anomaly["raised"] == 1
    assert "5000" in anomaly["summary"]
