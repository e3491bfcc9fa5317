"""The MQTT bridge against a real Mosquitto: discovery, states, commands, sensors, passages, faults."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

import pytest
from pydantic import BaseModel

from hub.core import Context
from hub.core.auth import Role
from hub.core.const import EVENT_SERVICE_CALLED
from hub.integrations.mqtt.config import MqttConfig
from tests.common import advance, wait_entity, wait_state, wait_until
from tests.integrations.mqtt.conftest import BROKER_PASSWORD, BROKER_USER, Mosquitto, free_port
from tests.integrations.mqtt.ha_mqtt import HomeAssistant

NODE = "plant1"
BARRIER_DEVICE = f"{NODE}_barrier_east_in"  # the barrier's device config: <prefix>/device/<this>/config
HUB_DEVICE = f"{NODE}_hub"
COVER = "cover.east_in_barrier"
CONNECTED = "binary_sensor.mqtt_broker_connected"
OPEN_BROKER = "binary_sensor.mqtt_broker_open"
# Home Assistant births are answered at most once per this many seconds (the default interval)
ANNOUNCE_MIN_SECONDS = MqttConfig.model_fields["announce_min_seconds"].default
# The session broker's plain listener lets anyone in: tests of the command path there opt in.
OPEN_OK = "allow_open_broker: true\n"
BARRIER = """\
barrier:
  lanes:
    - gate: east
      lane: in
      scan_seconds: 0.05
      timeout: 0.3
      registers: {pulse_seconds: 0.05}
      simulator: {travel_seconds: 0.2}
"""


def names() -> tuple[str, str]:
    """A base topic and discovery prefix of the test's own: the session broker keeps retained messages."""
    tag = uuid.uuid4().hex[:8]
    return f"eg{tag}", f"ha{tag}"


def config(port: int, base: str, prefix: str, *, mqtt: str = "", extra: str = BARRIER) -> str:
    lines = "".join(f"  {line}\n" for line in mqtt.splitlines() if line.strip())
    return (
        "hub: {name: 测试厂}\n"
        f"{extra}"
        "mqtt:\n"
        f"  port: {port}\n  base_topic: {base}\n  discovery_prefix: {prefix}\n  node_id: {NODE}\n"
        "  reconnect_min_seconds: 0.1\n  reconnect_max_seconds: 0.5\n"
        f"{lines}"
    )


async def commands_taken(hub) -> None:
    """The hub has checked the broker (on every connect) and takes commands over it."""
    await wait_entity(hub, OPEN_BROKER, lambda s: s.attributes.get("commands") == "taken")


def text_is(value: str):
    return lambda m: m.text == value


def home_assistant(sub, prefix: str) -> HomeAssistant:
    """What Home Assistant made of every message the subscriber saw (it rejects as HA would)."""
    ha = HomeAssistant(prefix)
    for message in sub.messages:
        ha.feed(message.topic, message.payload)
    return ha


def device_topic(prefix: str, device_id: str) -> str:
    return f"{prefix}/device/{device_id}/config"


def logged(caplog: pytest.LogCaptureFixture, fragment: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if fragment in r.getMessage()]


async def test_discovery_configs_appear_and_states_follow_entities(make_hub, broker, subscribe) -> None:
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{prefix}/#", f"{base}/#"])
    hub = await make_hub(config(broker.port, base, prefix))

    await sub.wait_for(device_topic(prefix, BARRIER_DEVICE))
    await sub.wait_for(device_topic(prefix, HUB_DEVICE))
    ha = home_assistant(sub, prefix)
    cover = ha.by_default_id(COVER)
    assert cover["unique_id"] == f"{NODE}_barrier:east_in-barrier"
    assert cover["device"]["identifiers"] == [f"{NODE}_barrier:east_in"]
    assert cover["device"]["name"] == "east in barrier"
    assert cover["availability"][0] == {"topic": f"{base}/status"}
    assert (cover["payload_available"], cover["payload_not_available"]) == ("online", "offline")
    assert cover["state_topic"] == f"{base}/{COVER}/state"
    assert cover["json_attributes_topic"] == f"{base}/{COVER}/attributes"
    assert cover["command_topic"] == f"{base}/{COVER}/set"
    assert (cover["payload_open"], cover["payload_close"], cover["device_class"]) == ("OPEN", "CLOSE", "gate")
    online = ha.by_default_id("binary_sensor.east_in_barrier_online")
    assert (online["payload_on"], online["payload_off"], online["device_class"]) == (
        "on",
        "off",
        "connectivity",
    )
    assert "command_topic" not in online
    event = ha.by_default_id(f"event.{NODE}_passage")
    assert event["state_topic"] == f"{base}/passage"

    await sub.wait_for(f"{base}/{COVER}/state", text_is("closed"))
    attributes = json.loads((await sub.wait_for(f"{base}/{COVER}/attributes")).text)
    assert (attributes["gate"], attributes["lane"]) == ("east", "in")
    await sub.wait_for(f"{base}/{COVER}/availability", text_is("online"))

    # Retained: a client that comes later (Home Assistant after a restart) gets them at once.
    late = await subscribe(broker.port, [f"{base}/status", f"{prefix}/device/#", f"{base}/{COVER}/state"])
    assert (await late.wait_for(f"{base}/status")).retain
    assert (await late.wait_for(device_topic(prefix, BARRIER_DEVICE))).retain
    assert (await late.wait_for(f"{base}/{COVER}/state", text_is("closed"))).retain

    mark = len(sub.messages)
    await hub.services.async_call("barrier", "open", {"gate": "east", "lane": "in"})
    await sub.wait_for(f"{base}/{COVER}/state", text_is("opening"), since=mark)
    await sub.wait_for(f"{base}/{COVER}/state", text_is("open"), since=mark)

    # An entity that appears later is announced when it appears, and withdrawn when it goes.
    hub.states.async_set("sensor.late_arrival", "42", {"unit_of_measurement": "kg", "friendly_name": "迟到"})
    await sub.wait_for(device_topic(prefix, HUB_DEVICE), lambda m: "late_arrival" in m.text)
    late_config = home_assistant(sub, prefix).by_default_id("sensor.late_arrival")
    assert (late_config["name"], late_config["unit_of_measurement"]) == ("迟到", "kg")
    await sub.wait_for(f"{base}/sensor.late_arrival/state", text_is("42"))
    mark = len(sub.messages)
    hub.states.async_remove("sensor.late_arrival")
    await sub.wait_for(device_topic(prefix, HUB_DEVICE), since=mark)
    gone = home_assistant(sub, prefix)
    assert f"{NODE}_state-sensor.late_arrival" in gone.removed
    with pytest.raises(KeyError):
        gone.by_default_id("sensor.late_arrival")


async def test_a_command_opens_the_barrier_as_the_command_user(make_hub, broker, subscribe) -> None:
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{base}/#"])
    hub = await make_hub(config(broker.port, base, prefix, mqtt=OPEN_OK + "command_user: mqtt_ops"))
    user = await hub.auth.async_add_user("mqtt_ops", "password-123", frozenset({Role.GUARD}))
    await sub.wait_for(f"{base}/{COVER}/state", text_is("closed"))  # the hub is subscribed by now
    await commands_taken(hub)
    calls: list[dict[str, Any]] = []
    hub.bus.async_listen(EVENT_SERVICE_CALLED, lambda e: calls.append(dict(e.data)))

    await sub.publish(f"{base}/{COVER}/set", "OPEN")
    await wait_state(hub, COVER, "open")
    await sub.wait_for(f"{base}/{COVER}/state", text_is("open"))
    opened = [c for c in calls if (c["domain"], c["service"]) == ("barrier", "open")]
    assert opened and opened[0]["door"] == "mqtt" and opened[0]["user_id"] == user.id
    assert opened[0]["outcome"] == "ok"

    await sub.publish(f"{base}/{COVER}/set", "CLOSE")
    await wait_state(hub, COVER, "closed")


async def test_where_the_plant_runs_the_policy_a_remote_opening_is_in_the_ledger(
    make_hub, broker, subscribe
) -> None:
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{base}/#"])
    mqtt = OPEN_OK + "command_user: mqtt_ops"
    hub = await make_hub(config(broker.port, base, prefix, mqtt=mqtt, extra=BARRIER + "ledger:\npolicy:\n"))
    user = await hub.auth.async_add_user("mqtt_ops", "password-123", frozenset({Role.GUARD}))
    await sub.wait_for(f"{base}/{COVER}/state", text_is("closed"))
    await commands_taken(hub)
    recorded = asyncio.ensure_future(hub.bus.async_wait_for("passage_recorded", timeout=10))
    await asyncio.sleep(0)
    await sub.publish(f"{base}/{COVER}/set", "OPEN")
    row = (await recorded).data
    assert (row["reason_code"], row["actor"]) == ("manual_entry", user.id)
    assert row["reason_text"].startswith("MQTT 远程开闸")
    await wait_state(hub, COVER, "open")


async def test_commands_without_a_command_user_or_the_role_are_refused(
    make_hub, broker, subscribe, caplog
) -> None:
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{base}/#"])
    hub = await make_hub(config(broker.port, base, prefix, mqtt=OPEN_OK, extra=BARRIER + "ledger: {}\n"))
    await sub.wait_for(f"{base}/{COVER}/state", text_is("closed"))
    await commands_taken(hub)
    audited = []
    hub.bus.async_listen(
        EVENT_SERVICE_CALLED,
        lambda e: audited.append(dict(e.data)) if e.data["service"] == "record_audit" else None,
    )
    await sub.publish(f"{base}/{COVER}/set", "OPEN")
    await wait_until(lambda: logged(caplog, "no command_user is configured"))
    await wait_until(lambda: audited)  # the ledger's audit log hears of the refusal
    assert audited[0]["data"]["outcome"] == "refused" and audited[0]["data"]["door"] == "mqtt"
    assert audited[0]["data"]["action"] == "barrier.open" and audited[0]["outcome"] == "ok"
    assert hub.states.get(COVER).state == "closed"

    base, prefix = names()
    sub = await subscribe(broker.port, [f"{base}/#"])
    hub = await make_hub(config(broker.port, base, prefix, mqtt=OPEN_OK + "command_user: auditor"))
    await hub.auth.async_add_user("auditor", "password-123", frozenset({Role.INSPECTOR}))
    await sub.wait_for(f"{base}/{COVER}/state", text_is("closed"))
    await commands_taken(hub)
    refused: list[dict[str, Any]] = []
    hub.bus.async_listen(EVENT_SERVICE_CALLED, lambda e: refused.append(dict(e.data)))
    await sub.publish(f"{base}/{COVER}/set", "OPEN")
    await wait_until(lambda: refused)
    assert (refused[0]["service"], refused[0]["door"], refused[0]["outcome"]) == ("open", "mqtt", "refused")
    await wait_until(lambda: logged(caplog, "needs one of the roles"))
    assert hub.states.get(COVER).state == "closed"


async def test_bad_command_payloads_are_logged_and_ignored(make_hub, broker, subscribe, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="hub.integrations.mqtt")
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{base}/#"])
    # Left retained on the broker, a command would act again on every reconnect: never obeyed.
    await sub.publish(f"{base}/{COVER}/set", "OPEN", retain=True)
    mqtt = OPEN_OK + "command_user: mqtt_ops\nbad_payload_log_every: 1\n"
    hub = await make_hub(config(broker.port, base, prefix, mqtt=mqtt))
    await hub.auth.async_add_user("mqtt_ops", "password-123", frozenset({Role.GUARD}))
    await sub.wait_for(f"{base}/{COVER}/state", text_is("closed"))
    await commands_taken(hub)
    await wait_until(lambda: logged(caplog, "retained command"))
    await sub.publish(f"{base}/{COVER}/set", b"", retain=True)  # clear it from the broker

    await sub.publish(f"{base}/{COVER}/set", "WIGGLE")
    await sub.publish(f"{base}/sensor.east_in_display/set", "OPEN")
    await sub.publish(f"{base}/{COVER}/set", b"\xff\xfe\x00")
    await wait_until(lambda: logged(caplog, "'WIGGLE' is not OPEN or CLOSE"))
    await wait_until(lambda: logged(caplog, "sensor.east_in_display takes no commands"))
    await wait_until(lambda: logged(caplog, "not UTF-8"))
    assert hub.states.get(COVER).state == "closed"

    await sub.publish(f"{base}/{COVER}/set", "open")  # the hub still listens and acts
    await wait_state(hub, COVER, "open")


async def test_the_alert_level_select_takes_commands(make_hub, broker, subscribe, caplog) -> None:
    """policy.set_alert_level is stood in for here; the bridge's part is the call it makes."""
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{base}/#", f"{prefix}/#"])
    hub = await make_hub(config(broker.port, base, prefix, mqtt=OPEN_OK + "command_user: officer1", extra=""))
    user = await hub.auth.async_add_user("officer1", "password-123", frozenset({Role.OFFICER}))
    received: list[tuple[dict[str, Any], Context, str]] = []

    class Level(BaseModel):
        level: str
        reason: str | None = None

    async def set_alert_level(call) -> None:
        received.append((call.data.model_dump(exclude_none=True), call.context, call.door))
        hub.states.async_set("select.plant_alert_level", call.data.level, {"options": ["normal", "yellow",
                             "orange", "red"]})  # fmt: skip

    hub.services.async_register("policy", "set_alert_level", set_alert_level, Level, roles={Role.OFFICER})
    hub.states.async_set(
        "select.plant_alert_level", "normal", {"options": ["normal", "yellow", "orange", "red"]}
    )
    await sub.wait_for(device_topic(prefix, HUB_DEVICE), lambda m: "plant_alert_level" in m.text)
    select = home_assistant(sub, prefix).by_default_id("select.plant_alert_level")
    assert select["options"] == ["normal", "yellow", "orange", "red"]
    assert select["command_topic"] == f"{base}/select.plant_alert_level/set"

    await commands_taken(hub)
    await sub.publish(select["command_topic"], "purple")
    await wait_until(lambda: logged(caplog, "'purple' is not one of"))
    await sub.publish(select["command_topic"], json.dumps({"level": "orange", "reason": "重污染橙色预警"}))
    await sub.wait_for(f"{base}/select.plant_alert_level/state", text_is("orange"))
    assert received[0][0] == {"level": "orange", "reason": "重污染橙色预警"}
    assert (received[0][1].user_id, received[0][2]) == (user.id, "mqtt")


async def test_a_broker_restart_is_survived(make_hub, own_broker: Mosquitto, subscribe) -> None:
    base, prefix = names()
    port = own_broker.port
    sub = await subscribe(port, [f"{prefix}/#", f"{base}/#"])
    hub = await make_hub(config(port, base, prefix, mqtt=OPEN_OK + "command_user: mqtt_ops"))
    await hub.auth.async_add_user("mqtt_ops", "password-123", frozenset({Role.GUARD}))
    await sub.wait_for(device_topic(prefix, BARRIER_DEVICE))
    await wait_state(hub, CONNECTED, "on")

    own_broker.kill()
    await wait_state(hub, CONNECTED, "off")
    own_broker.start()  # same port, nothing retained: whatever arrives now was published again
    await wait_state(hub, CONNECTED, "on")

    again = await subscribe(port, [f"{prefix}/#", f"{base}/#"])
    await again.wait_for(device_topic(prefix, BARRIER_DEVICE))
    assert home_assistant(again, prefix).by_default_id(COVER)["command_topic"] == f"{base}/{COVER}/set"
    await again.wait_for(f"{base}/status", text_is("online"))
    await again.wait_for(f"{base}/{COVER}/state", text_is("closed"))
    await commands_taken(hub)  # checked again on the new connection
    await again.publish(f"{base}/{COVER}/set", "OPEN")
    await wait_state(hub, COVER, "open")
    await again.wait_for(f"{base}/{COVER}/state", text_is("open"))


async def test_a_sensor_topic_becomes_an_entity(make_hub, broker, subscribe, caplog) -> None:
    base, prefix = names()
    station = f"{base}-field/aqs/north"
    sub = await subscribe(broker.port, [f"{prefix}/#", f"{base}/#"])
    mqtt = f"""\
bad_payload_log_every: 2
sensors:
  - topic: {station}
    object_id: north_pm25
    name: 北门微站 PM2.5
    json_path: data.pm25
    unit: µg/m³
    device_class: pm25
    expire_after: 1
    device: {{id: north_station, name: 北门微站, model: AQ-100}}
"""
    hub = await make_hub(config(broker.port, base, prefix, mqtt=mqtt, extra=""))
    assert hub.states.get("sensor.north_pm25").state == "unavailable"
    await sub.wait_for(device_topic(prefix, f"{NODE}_mqtt_north_station"))
    discovered = home_assistant(sub, prefix).by_default_id("sensor.north_pm25")
    assert (discovered["unit_of_measurement"], discovered["device_class"]) == ("µg/m³", "pm25")
    assert discovered["device"]["name"] == "北门微站"

    await sub.publish(station, json.dumps({"data": {"pm25": 35.2, "pm10": 61}}))
    await wait_state(hub, "sensor.north_pm25", "35.2")
    state = hub.states.get("sensor.north_pm25")
    assert state.attributes["unit_of_measurement"] == "µg/m³"
    await sub.wait_for(f"{base}/sensor.north_pm25/state", text_is("35.2"))

    for bad in ("garbage", '{"data": {}}', '{"data": {"pm25": "n/a"}}'):
        await sub.publish(station, bad)
    await wait_until(lambda: len(logged(caplog, "north_pm25: payload on")) == 2)  # first, then every 2nd
    await sub.publish(station, json.dumps({"data": {"pm25": 40}}))
    await wait_state(hub, "sensor.north_pm25", "40")
    assert len(logged(caplog, "north_pm25: payload on")) == 2
    await wait_state(hub, "sensor.north_pm25", "unavailable")  # expire_after: the station fell silent
    await sub.publish(station, json.dumps({"data": {"pm25": 41}}))
    await wait_state(hub, "sensor.north_pm25", "41")


async def test_passages_appear_on_the_passage_topic(make_hub, broker, subscribe) -> None:
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{base}/passage"])
    hub = await make_hub(config(broker.port, base, prefix, extra="ledger: {}\n"))
    await wait_state(hub, CONNECTED, "on")
    passage_id = str(uuid.uuid4())
    answer = await hub.services.async_call("ledger", "record_passage", passage(passage_id), Context())
    message = await sub.wait_for(f"{base}/passage", lambda m: json.loads(m.text)["passage_id"] == passage_id)
    record = json.loads(message.text)
    assert (record["kind"], record["seq"], record["plate"]) == ("passage", answer["seq"], "冀B12345")
    assert (record["decision"], record["reason_text"]) == ("allow", "国五柴油货车，准予入厂")
    assert "冀B12345" in message.text  # UTF-8, not \\u escapes

    # Not retained: a newcomer gets the retained status, but no old passage.
    late = await subscribe(broker.port, [f"{base}/passage", f"{base}/status"])
    await late.wait_for(f"{base}/status")
    assert late.last(f"{base}/passage") is None


def passage(passage_id: str) -> dict[str, Any]:
    return {
        "passage_id": passage_id, "read_id": "READ000001", "gate": "east", "lane": "in", "direction": "in",
        "plate": "冀B12345", "colour": "yellow", "vehicle_class": "transport",
        "vehicle": {"emission_stage": "5", "fuel": "B", "fleet": "唐山顺达物流有限公司", "registered": True},
        "decision": "allow", "reason_code": "allowed", "reason_text": "国五柴油货车，准予入厂",
        "confidence": 0.97, "needs_review": False,
    }  # fmt: skip


async def test_username_and_password(make_hub, broker, subscribe, caplog) -> None:
    base, prefix = names()
    auth = f"username: {BROKER_USER}\npassword: {BROKER_PASSWORD}\n"
    hub = await make_hub(config(broker.auth_port, base, prefix, mqtt=auth, extra=""))
    await wait_state(hub, CONNECTED, "on")
    await wait_state(hub, OPEN_BROKER, "off")  # this listener refuses anonymous clients

    base, prefix = names()
    wrong = f"username: {BROKER_USER}\npassword: wrong-password\n"
    hub = await make_hub(config(broker.auth_port, base, prefix, mqtt=wrong, extra=""))
    await wait_until(lambda: logged(caplog, "refused the connection"))
    state = hub.states.get(CONNECTED)
    assert state.state == "off" and "refused" in state.attributes["last_error"]


async def test_tls_with_the_plant_ca(make_hub, broker, subscribe) -> None:
    base, prefix = names()
    ca = broker.workdir / "tls" / "ca.pem"
    sub = await subscribe(broker.port, [f"{base}/status"])
    hub = await make_hub(config(broker.tls_port, base, prefix, mqtt=f"tls: {{ca_certs: {ca}}}\n", extra=""))
    await wait_state(hub, CONNECTED, "on")
    await wait_state(hub, OPEN_BROKER, "on")  # the check speaks TLS too: this listener lets anyone in
    await sub.wait_for(f"{base}/status", text_is("online"))


async def test_a_clean_stop_says_offline(make_hub, broker, subscribe) -> None:
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{base}/status"])
    hub = await make_hub(config(broker.port, base, prefix, extra=""))
    await sub.wait_for(f"{base}/status", text_is("online"))
    await hub.async_stop()
    message = await sub.wait_for(f"{base}/status", text_is("offline"))
    assert message.text == "offline"


async def test_an_unreachable_broker_does_not_stop_the_hub(make_hub, caplog) -> None:

    base, prefix = names()
    hub = await make_hub(config(free_port(), base, prefix))
    assert "mqtt" in hub.loaded and "barrier" in hub.loaded
    await wait_until(lambda: logged(caplog, "not reachable"))
    assert hub.states.get(CONNECTED).state == "off"
    await wait_state(hub, COVER, "closed")


async def test_home_assistant_coming_online_gets_everything_again(make_hub, broker, subscribe, clock) -> None:
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{prefix}/#", f"{base}/#"])
    await make_hub(config(broker.port, base, prefix), clock=clock)
    topic = device_topic(prefix, BARRIER_DEVICE)
    await sub.wait_for(topic)
    mark = len(sub.messages)
    await sub.publish(f"{prefix}/status", "online")  # Home Assistant's birth message
    # Re-announcing waits out the interval since the last announcement (announce_min_seconds); a
    # birth that reaches the hub after the clock moved on is announced at once.
    await advance(clock, ANNOUNCE_MIN_SECONDS)
    await sub.wait_for(topic, since=mark)
    await sub.wait_for(f"{base}/{COVER}/state", since=mark)
