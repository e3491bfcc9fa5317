"""Pure logic of the MQTT bridge, table-driven: topics, discovery payloads, commands, sensor values."""

from __future__ import annotations

import json
import logging

import pytest

from hub.core import DeviceInfo
from hub.integrations.mqtt.authority import CommandAuthority, CommandRefused, Sender
from hub.integrations.mqtt.commands import BadCommand, command_target, parse_command
from hub.integrations.mqtt.config import MqttConfig, SensorTopic
from hub.integrations.mqtt.discovery import EntityView, Topics, device_block, encode_json, entity_component
from hub.integrations.mqtt.ingest import (
    BadPayload,
    ThrottledLog,
    extract_value,
    parse_json_path,
    topic_matches,
)
from hub.integrations.mqtt.probe import BrokerVerdict

TOPICS = Topics("ecogate", "homeassistant", "plant1")


@pytest.mark.parametrize(
    ("payload", "path", "kind", "expected"),
    [
        (b"35.2", None, "number", 35.2),
        (b' {"pm25": 35} ', "pm25", "number", 35.0),
        (b'{"pm25": "41.5"}', "pm25", "number", 41.5),
        (b'{"data": {"pm25": 12}}', "data.pm25", "number", 12.0),
        (b'{"values": [{"pm25": 7}]}', "values[0].pm25", "number", 7.0),
        (b'{"values": [{"pm25": 7}]}', "values.0.pm25", "number", 7.0),
        ('{"station": "北门"}'.encode(), "station", "string", "北门"),
        (b"on", None, "string", "on"),
    ],
)
def test_sensor_values_are_read_from_text_and_json(payload, path, kind, expected) -> None:
    assert extract_value(payload, parse_json_path(path) if path else None, kind) == expected


@pytest.mark.parametrize(
    ("payload", "path", "kind", "reason"),
    [
        (b"garbage", None, "number", "not a number"),
        (b"garbage", "pm25", "number", "not JSON"),
        (b'{"pm10": 3}', "pm25", "number", "no 'pm25'"),
        (b'{"pm25": null}', "pm25", "number", "not a number"),
        (b'{"pm25": true}', "pm25", "number", "not a number"),
        (b'{"pm25": "NaN"}', "pm25", "number", "finite"),
        (b'{"values": []}', "values[0]", "number", "no 0"),
        (b"\xff\xfe", None, "number", "UTF-8"),
        (b'{"pm25": {"a": 1}}', "pm25", "string", "not a value"),
    ],
)
def test_bad_sensor_payloads_say_why(payload, path, kind, reason) -> None:
    with pytest.raises(BadPayload, match=reason):
        extract_value(payload, parse_json_path(path) if path else None, kind)


@pytest.mark.parametrize(
    ("topic_filter", "topic", "matches"),
    [
        ("aq/north", "aq/north", True),
        ("aq/+", "aq/north", True),
        ("aq/+", "aq/north/pm25", False),
        ("aq/#", "aq/north/pm25", True),
        ("aq/#", "aq", True),
        ("aq/north", "aq/south", False),
    ],
)
def test_topic_filters(topic_filter, topic, matches) -> None:
    assert topic_matches(topic_filter, topic) is matches


def test_command_topics_name_the_entity_and_the_broker_account() -> None:
    assert TOPICS.command_of("ecogate/cover.east_in_barrier/set") == (None, "cover.east_in_barrier")
    assert TOPICS.command_of("ecogate/command/scada/cover.x") == ("scada", "cover.x")
    assert TOPICS.command_of("ecogate/cover.east_in_barrier/state") is None
    assert TOPICS.command_of("other/cover.east_in_barrier/set") is None
    assert TOPICS.command_of("ecogate//set") is None
    assert TOPICS.command_of("ecogate/command//cover.east_in_barrier") is None
    assert TOPICS.command_of("ecogate/command/scada/cover.east_in_barrier/set") is None
    assert TOPICS.command("cover.x") == "ecogate/cover.x/set"
    assert Topics("ecogate", "homeassistant", "p1", "ha").command("cover.x") == "ecogate/command/ha/cover.x"


BARRIER_ATTRS = {"gate": "east", "lane": "in"}


@pytest.mark.parametrize(
    ("entity_id", "attrs", "payload", "expected"),
    [
        (
            "cover.east_in_barrier",
            BARRIER_ATTRS,
            b"OPEN",
            ("barrier", "open", {"gate": "east", "lane": "in"}),
        ),
        (
            "cover.east_in_barrier",
            BARRIER_ATTRS,
            b" close\n",
            ("barrier", "close", {"gate": "east", "lane": "in"}),
        ),
        ("select.plant_alert_level", {}, b"orange", ("policy", "set_alert_level", {"level": "orange"})),
        (
            "select.plant_alert_level",
            {},
            '{"level": "RED", "reason": "重污染红色预警"}'.encode(),
            ("policy", "set_alert_level", {"level": "red", "reason": "重污染红色预警"}),
        ),
    ],
)
def test_commands_become_service_calls(entity_id, attrs, payload, expected) -> None:
    target = command_target(entity_id, attrs)
    assert target is not None
    request = parse_command(target, payload)
    assert (request.domain, request.service, request.data) == expected


@pytest.mark.parametrize(
    ("entity_id", "attrs", "payload", "reason"),
    [
        ("cover.east_in_barrier", BARRIER_ATTRS, b"WIGGLE", "not OPEN or CLOSE"),
        ("cover.east_in_barrier", BARRIER_ATTRS, b"\xff\xfe", "UTF-8"),
        ("cover.east_in_barrier", BARRIER_ATTRS, b"O" * 5000, "at most"),
        ("select.plant_alert_level", {}, b"purple", "not one of"),
        ("select.plant_alert_level", {}, b'{"level": "red", "rm": 1}', "unknown keys rm"),
        ("select.plant_alert_level", {}, b"{nope", "not valid JSON"),
        ("select.plant_alert_level", {}, b'{"reason": "x"}', 'needs "level"'),
    ],
)
def test_bad_commands_say_why(entity_id, attrs, payload, reason) -> None:
    target = command_target(entity_id, attrs)
    assert target is not None
    with pytest.raises(BadCommand, match=reason):
        parse_command(target, payload)


def test_only_barriers_and_the_alert_level_take_commands() -> None:
    assert command_target("cover.east_in_barrier", {}) is None  # no lane to name
    assert command_target("sensor.east_in_plate", BARRIER_ATTRS) is None
    assert command_target("select.other", {}) is None


def test_a_barrier_cover_is_announced_with_its_device_and_commands() -> None:
    view = EntityView(
        entity_id="cover.east_in_barrier",
        unique_id="barrier:east_in-barrier",
        name="Barrier",
        device=DeviceInfo(identifier="barrier:east_in", name="东门入口道闸", model="barrier PLC"),
        device_class="gate",
        commandable=True,
    )
    payload = entity_component(view, TOPICS)
    assert payload["platform"] == "cover"
    assert payload["unique_id"] == "plant1_barrier:east_in-barrier"
    assert device_block(view.device, "plant1") == {
        "identifiers": ["plant1_barrier:east_in"], "name": "东门入口道闸", "model": "barrier PLC",
        "via_device": "plant1",
    }  # fmt: skip
    assert payload["command_topic"] == "ecogate/cover.east_in_barrier/set"
    assert payload["state_topic"] == "ecogate/cover.east_in_barrier/state"
    assert payload["availability"] == [
        {"topic": "ecogate/status"},
        {"topic": "ecogate/cover.east_in_barrier/availability"},
    ]
    assert payload["device_class"] == "gate"
    assert json.loads(encode_json(payload)) == payload


def test_unknown_device_classes_and_domains_are_left_out_or_mapped() -> None:
    view = EntityView(entity_id="camera.east_in", unique_id="x", name=None, device_class="plate")
    payload = entity_component(view, TOPICS)
    assert (payload["platform"], payload["default_entity_id"]) == ("sensor", "sensor.camera_east_in")
    assert "device_class" not in payload
    sensor = EntityView(
        entity_id="sensor.w", unique_id="w", name="W", device_class="weight", unit_of_measurement="kg"
    )
    payload = entity_component(sensor, TOPICS)
    assert (payload["device_class"], payload["unit_of_measurement"], payload["state_class"]) == (
        "weight", "kg", "measurement",
    )  # fmt: skip


def test_json_payloads_keep_chinese_and_make_bytes_safe() -> None:
    text = encode_json({"plate": "冀B12345", "image": b"\xff\xd8" * 10})
    assert "冀B12345" in text
    assert json.loads(text)["image"] == "<20 bytes>"


def test_configuration_is_checked() -> None:
    with pytest.raises(ValueError, match="password needs username"):
        MqttConfig(password="x")
    with pytest.raises(ValueError, match="whole"):
        SensorTopic(topic="aq/#/x")
    with pytest.raises(ValueError, match="used twice"):
        MqttConfig(sensors=[{"topic": "a", "object_id": "x"}, {"topic": "b", "object_id": "x"}])
    with pytest.raises(ValueError, match="hub's own messages"):
        MqttConfig(base_topic="ecogate", sensors=[{"topic": "ecogate/#"}])
    assert SensorTopic(topic="plant/aqs/north", json_path="pm25").key == "plant_aqs_north_pm25"
    assert SensorTopic(topic="t", unit="µg/m³").unit_of_measurement == "µg/m³"
    with pytest.raises(ValueError, match="hmi_url"):
        MqttConfig(hmi_url="10.0.0.5:8420")  # Home Assistant takes only a full URL
    with pytest.raises(ValueError, match="lane_names"):
        MqttConfig(lane_names={"East Gate": "东门"})  # a lane key, as the lane's entity ids start
    conf = MqttConfig(hmi_url="https://hmi.plant.local/", lane_names={"east_gate_in": "东门 入口车道"})
    assert conf.lane_names["east_gate_in"] == "东门 入口车道"


OPEN = BrokerVerdict("open", "accepts anyone")
CLOSED = BrokerVerdict("authenticates", "refused an anonymous client")
UNKNOWN = BrokerVerdict("unknown", "no answer")


@pytest.mark.parametrize(
    ("verdict", "allow_open", "account", "expected"),
    [
        (CLOSED, False, "scada", Sender("scada", "scada_ops", vouched=True)),
        (CLOSED, False, "mallory", "not in command_accounts"),
        (CLOSED, False, None, "shared command topic names no sender"),
        (OPEN, False, "scada", "lets anyone in"),
        (OPEN, False, None, "lets anyone in"),
        (OPEN, True, None, Sender(None, "ops", vouched=False)),
        (OPEN, True, "scada", Sender("scada", "scada_ops", vouched=False)),
        (UNKNOWN, True, "scada", "not known"),
    ],
)
def test_who_a_command_is_believed_from(verdict, allow_open, account, expected) -> None:
    accounts = {"scada": "scada_ops"}
    conf = MqttConfig(command_user="ops", command_accounts=accounts, allow_open_broker=allow_open)
    authority = CommandAuthority(conf)
    authority.verdict = verdict
    if isinstance(expected, Sender):
        assert authority.sender(account) == expected
    else:
        with pytest.raises(CommandRefused, match=expected):
            authority.sender(account)


def test_command_account_names_are_checked() -> None:
    with pytest.raises(ValueError, match="command_accounts"):
        MqttConfig(command_accounts={"a/b": "ops"})
    with pytest.raises(ValueError, match="home_assistant_account"):
        MqttConfig(command_accounts={"ha": "ops"}, home_assistant_account="other")


def test_the_throttled_log_stays_bounded_whatever_topics_come(caplog) -> None:
    log = ThrottledLog(logging.getLogger("test.throttle"), 100)
    for i in range(ThrottledLog.MAX_KEYS + 500):
        log.warning(f"command cover.x{i}", "bad command %d", i)
    assert log.count("(other)") == 500
    # The first of each key; then the shared key's first and every 100th.
    assert len(caplog.records) == ThrottledLog.MAX_KEYS + 1 + 500 // 100
