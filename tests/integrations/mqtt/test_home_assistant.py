"""The hub as a real Home Assistant sees it: every discovery message parsed by HA's rules (ha_mqtt.py),
every template rendered on what really travels, lanes as devices, plate reads, photos, ids that last."""

from __future__ import annotations

import json

import pytest

from hub.core.models import EntityRow
from hub.integrations.mqtt.const import EMPTY_STATE, RECORD_KINDS
from hub.integrations.mqtt.discovery import (
    NUMERIC_VALUE_TEMPLATE,
    PASSAGE_EVENT_TEMPLATE,
    VALUE_TEMPLATE,
    EntityView,
    Topics,
    entity_component,
)
from hub.integrations.mqtt.lanes import LaneDirectory, plate_read_event
from tests.common import wait_state
from tests.components.ledger.conftest import passage
from tests.integrations.mqtt.ha_mqtt import HomeAssistant, Rejected, render
from tests.integrations.mqtt.test_bridge import (
    BARRIER,
    CONNECTED,
    HUB_DEVICE,
    NODE,
    config,
    device_topic,
    home_assistant,
    names,
    text_is,
)

LANE_DEVICE = f"{NODE}_lane_east_gate_in"
# A lane of the ledger's sample passages (gate east_gate, lane in), with a display and a person's name.
PLANT = """\
ledger: {}
vehicles:
policy: {grade: B}
barrier:
  lanes:
    - gate: east_gate
      lane: in
      name: 东门入口道闸
      scan_seconds: 0.05
      timeout: 0.3
      registers: {pulse_seconds: 0.05}
      simulator: {travel_seconds: 0.2}
"""
MQTT = "lane_names: {east_gate_in: 东门 入口车道}\nhmi_url: http://10.0.0.5:8420/\n"
# Every kind of follow-up a passage gets, as the services record them.
FOLLOWUPS = {
    "release": {"reason": "抢险物资"},
    "correction": {"data": {"plate": "冀B00001"}, "reason": "识别错误"},
    "weight": {"data": {"weight_kg": 49000}},
    "cargo": {"data": {"cargo": "铁矿石"}},
    "acceptance": {"data": {"status": "accepted"}},
    "lifecycle": {"data": {"state": "passed"}},
}


# ----- the passage event's template, on every kind of record -------------------------------------
SAMPLES = {
    "passage": {"seq": 1, "kind": "passage", "passage_id": "p1", "gate": "east_gate", "lane": "in",
                "direction": "in", "plate": "冀B60006", "decision": "allow", "reason_code": "allowed",
                "reason_text": "国六柴油货车，准予入厂"},
    "release": {"seq": 2, "kind": "release", "passage_id": "p1", "gate": "east_gate", "lane": "in",
                "direction": "in", "status": None, "reason": "抢险物资"},
    "correction": {"seq": 3, "kind": "correction", "passage_id": "p1", "plate": "冀B00001"},
    "weight": {"seq": 4, "kind": "weight", "passage_id": "p1", "gross_kg": 49000},
    "cargo": {"seq": 5, "kind": "cargo", "passage_id": "p1", "cargo": "铁矿石"},
    "acceptance": {"seq": 6, "kind": "acceptance", "passage_id": "p1", "status": "accepted"},
    "lifecycle": {"seq": 7, "kind": "lifecycle", "passage_id": "p1", "status": "left"},
}  # fmt: skip


@pytest.mark.parametrize("kind", RECORD_KINDS)
def test_the_passage_event_template_renders_on_every_record_kind(kind: str) -> None:
    """Before, `value_json.reason_text` failed on every record without one: no event in Home Assistant."""
    event = json.loads(render(PASSAGE_EVENT_TEMPLATE, json.dumps(SAMPLES[kind], ensure_ascii=False)))
    assert event["event_type"] == kind
    assert event["seq"] == SAMPLES[kind]["seq"]
    assert event["reason_text"] == SAMPLES[kind].get("reason_text")


def test_an_empty_state_is_text_where_text_is_shown_and_unknown_where_a_number_is() -> None:
    assert render(VALUE_TEMPLATE, EMPTY_STATE) == EMPTY_STATE
    assert render(NUMERIC_VALUE_TEMPLATE, EMPTY_STATE) == "None"
    counter = EntityView(entity_id="sensor.c", unique_id="c", name="C", state_class="total_increasing")
    assert entity_component(counter, Topics("eg", "ha", NODE))["value_template"] == NUMERIC_VALUE_TEMPLATE


def test_a_template_reading_a_missing_field_is_rejected_as_home_assistant_logs_it() -> None:
    with pytest.raises(Rejected, match="reason_text"):
        render("{{ value_json.reason_text }}", '{"kind": "weight"}')


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        ({"kind": "passage", "decision": "allow", "plate": "冀B1"}, "allow"),
        ({"kind": "passage", "decision": "deny", "plate": "冀B1"}, "deny"),
        ({"kind": "passage", "decision": "review", "plate": "冀B1"}, "review"),
        ({"kind": "release", "passage_id": "p1"}, "released"),
        ({"kind": "passage", "decision": "error"}, None),
        ({"kind": "weight"}, None),
    ],
)
def test_plate_reads_become_lane_events(record, expected) -> None:
    event = plate_read_event(record)
    assert (event["event_type"] if event else None) == expected


def test_a_lane_is_named_as_configured_else_by_its_barrier_or_camera() -> None:
    lanes = LaneDirectory({"east_gate_in": "东门 入口车道"}, "zh-CN")
    devices = [
        ("anpr:west_main", "西门车牌相机"),
        ("barrier:west_main", "西门道闸"),
        ("anpr:north_in", "北门相机"),
        ("barrier:east_gate_in", "东门入口道闸"),
    ]
    for identifier, name in devices:
        assert lanes.note(identifier, name) == identifier.split(":")[1]
    assert lanes.note("ledger:plant", "电子台账") is None  # not a lane's device
    assert [lanes.name(k) for k in ("east_gate_in", "west_main", "north_in", "south_out")] == [
        "东门 入口车道", "西门道闸", "北门相机", "south out",
    ]  # fmt: skip
    assert lanes.component_names()["decision"] == "准入决策"
    assert LaneDirectory({}, "en").component_names()["decision"] == "Decision"


# ----- the whole plant, as Home Assistant parses it -------------------------------------------------
async def test_home_assistant_parses_every_discovery_message_and_renders_every_template(
    make_hub, broker, subscribe
) -> None:
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{prefix}/#", f"{base}/#"])
    hub = await make_hub(config(broker.port, base, prefix, mqtt=MQTT, extra=PLANT))
    await sub.wait_for(device_topic(prefix, LANE_DEVICE))
    await sub.wait_for(device_topic(prefix, HUB_DEVICE))
    await sub.wait_for(f"{base}/sensor.plant_entries_today/state")

    # Every passage kind goes through the ledger's services and out on the passage topic.
    recorded = await hub.services.async_call("ledger", "record_passage", passage(1))
    for kind, body in FOLLOWUPS.items():
        await hub.services.async_call(
            "ledger", "record_followup", {"passage_id": recorded["passage_id"], "kind": kind, **body}
        )
    records = []
    for k in RECORD_KINDS:
        message = await sub.wait_for(f"{base}/passage", lambda m, k=k: json.loads(m.text)["kind"] == k)
        records.append(json.loads(message.text))
    ha = home_assistant(sub, prefix)  # raises Rejected for anything Home Assistant would refuse
    assert not ha.duplicates

    # Every template of every discovered entity, on the payloads that really travel.
    retained = {m.topic: m.text for m in sub.messages if m.payload and not m.topic.endswith("_photo")}
    rendered = 0
    for entity in ha.entities.values():
        template = entity.config.get("value_template")
        if template is None:
            continue
        if entity.config["state_topic"] == f"{base}/passage":
            for record in records:
                event = json.loads(render(template, json.dumps(record, ensure_ascii=False)))
                assert event["event_type"] == record["kind"]
                rendered += 1
        elif entity.config["state_topic"] in retained:
            render(template, retained[entity.config["state_topic"]])
            rendered += 1
    assert rendered >= len(RECORD_KINDS) + 5

    # The hub device: origin and a link to the HMI.
    passage_event = ha.by_default_id(f"event.{NODE}_passage")
    assert passage_event["device"]["configuration_url"] == "http://10.0.0.5:8420/"
    origin = passage_event["origin"]
    assert (origin["name"], origin["sw_version"], origin["support_url"]) == (
        "EcoGate Hub", "0.1.0", "http://10.0.0.5:8420/",
    )  # fmt: skip

    # The lane: one device a person recognises, with its decision-side entities named for people.
    display = ha.by_default_id("sensor.east_gate_in_display")
    decision = ha.by_default_id("sensor.east_gate_in_decision")
    plate_read = ha.by_default_id("event.east_gate_in_plate_read")
    photo = ha.by_default_id("image.east_gate_in_plate_photo")
    for entity in (display, decision, plate_read, photo):
        assert entity["device"]["name"] == "东门 入口车道"
        assert entity["device"]["identifiers"] == [f"{NODE}_lane:east_gate_in"]
    assert (display["name"], decision["name"], plate_read["name"]) == ("显示屏", "准入决策", "车牌识别")
    assert photo["name"] == "车牌照片"
    assert plate_read["event_types"] == ["allow", "deny", "review", "released"]
    assert photo["image_topic"] == f"{base}/lane/east_gate_in/plate_photo"
    assert ha.by_default_id("sensor.plant_entries_today")["state_class"] == "total_increasing"

    # A late Home Assistant finds device configs only: the per-entity topics of old are empty.
    late = await subscribe(broker.port, [f"{prefix}/#"])
    await late.wait_for(device_topic(prefix, LANE_DEVICE))
    assert {m.topic.split("/")[1] for m in late.messages} == {"device"}


async def test_plate_reads_and_photos_reach_the_lane(make_hub, broker, subscribe) -> None:
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{base}/#"])
    hub = await make_hub(config(broker.port, base, prefix, mqtt=MQTT, extra=PLANT))
    await sub.wait_for(f"{base}/sensor.plant_entries_today/state")
    data = passage(2, decision="deny", reason_code="stage_banned", reason_text="国四柴油货车禁止入厂")
    recorded = await hub.services.async_call("ledger", "record_passage", data)
    event = json.loads((await sub.wait_for(f"{base}/lane/east_gate_in/plate_read")).text)
    assert (event["event_type"], event["plate"]) == ("deny", "冀B00002")
    assert event["reason_text"] == "国四柴油货车禁止入厂"
    assert (await sub.wait_for(f"{base}/lane/east_gate_in/plate_photo")).payload == data["images"]["plate"]
    scene = await sub.wait_for(f"{base}/lane/east_gate_in/scene_photo")
    assert (scene.payload, scene.retain) == (data["images"]["scene"], False)  # live (retained on the broker)

    await hub.services.async_call(
        "ledger", "record_followup",
        {"passage_id": recorded["passage_id"], "kind": "release", "reason": "抢险"},
    )  # fmt: skip
    released = await sub.wait_for(
        f"{base}/lane/east_gate_in/plate_read", lambda m: json.loads(m.text)["event_type"] == "released"
    )
    assert json.loads(released.text)["passage_id"] == recorded["passage_id"]
    late = await subscribe(broker.port, [f"{base}/lane/#"])
    assert (await late.wait_for(f"{base}/lane/east_gate_in/plate_photo")).retain


async def test_an_empty_display_is_an_explicit_state_not_a_deleted_topic(make_hub, broker, subscribe) -> None:
    """An empty retained payload deletes the retained state: a later Home Assistant saw no display."""
    base, prefix = names()
    sub = await subscribe(broker.port, [f"{prefix}/#"])
    hub = await make_hub(config(broker.port, base, prefix, mqtt=MQTT, extra=PLANT))
    await wait_state(hub, "sensor.east_gate_in_display", "")
    await sub.wait_for(device_topic(prefix, LANE_DEVICE))  # the announcement (states first) is out
    late = await subscribe(broker.port, [f"{base}/sensor.east_gate_in_display/state"])
    state = await late.wait_for(f"{base}/sensor.east_gate_in_display/state")
    assert (state.text, state.retain) == ("<empty>", True)
    await hub.services.async_call("barrier", "display", {"gate": "east_gate", "lane": "in", "text": "请停车"})
    await late.wait_for(f"{base}/sensor.east_gate_in_display/state", text_is("请停车"))


async def test_the_broker_entities_keep_their_ids_when_the_broker_moves(
    make_hub, broker, own_broker, subscribe, tmp_path
) -> None:
    base, prefix = names()
    plant = tmp_path / "plant"
    hub = await make_hub(config(broker.port, base, prefix, extra=""), config_dir=plant)
    await wait_state(hub, CONNECTED, "on")
    await hub.async_stop()

    sub = await subscribe(own_broker.port, [f"{prefix}/#"])
    hub = await make_hub(config(own_broker.port, base, prefix, extra=""), config_dir=plant)
    await wait_state(hub, CONNECTED, "on")
    assert hub.states.get("binary_sensor.mqtt_broker_connected_2") is None
    await sub.wait_for(device_topic(prefix, f"{NODE}_mqtt_broker"), lambda m: "mqtt_broker_open" in m.text)
    ha = home_assistant(sub, prefix)
    assert ha.by_default_id(CONNECTED)["unique_id"] == f"{NODE}_mqtt:broker-connected"
    open_broker = ha.by_default_id("binary_sensor.mqtt_broker_open")
    assert open_broker["unique_id"] == f"{NODE}_mqtt:broker-open_broker"


async def test_an_old_port_bound_id_is_kept(make_hub, broker, subscribe, tmp_path) -> None:
    """A hub that made its broker entities with the port in their ids keeps those (and its history)."""
    base, prefix = names()
    plant = tmp_path / "plant"
    hub = await make_hub(config(broker.port, base, prefix, extra=""), config_dir=plant)
    await wait_state(hub, CONNECTED, "on")
    old = "mqtt:broker:127.0.0.1:1883-connected"
    await EntityRow.filter(platform="mqtt", unique_id="mqtt:broker-connected").update(unique_id=old)
    await hub.async_stop()

    base, prefix = names()  # nothing retained from the first run on the shared broker
    sub = await subscribe(broker.port, [f"{prefix}/#"])
    hub = await make_hub(config(broker.port, base, prefix, extra=""), config_dir=plant)
    await wait_state(hub, CONNECTED, "on")
    assert hub.entities.get_entity(CONNECTED).unique_id == old
    await sub.wait_for(device_topic(prefix, f"{NODE}_mqtt_broker"))
    assert home_assistant(sub, prefix).by_default_id(CONNECTED)["unique_id"] == f"{NODE}_{old}"


async def test_per_entity_configs_of_older_versions_move_without_duplicates(
    make_hub, broker, subscribe
) -> None:
    """Home Assistant keeps each entity (its registry entry, name, history): it is handed over with
    `migrate_discovery`, then the old topic is emptied; no entity is shown twice or lost."""
    base, prefix = names()
    older = await subscribe(broker.port, [f"{prefix}/#"])
    cover_topic = f"{prefix}/cover/{NODE}/east_in_barrier/config"
    old_cover = {
        "name": "Barrier", "unique_id": f"{NODE}_barrier:east_in-barrier", "state_topic": f"{base}/x/state",
        "device": {"identifiers": [f"{NODE}_barrier:east_in"], "name": "east in barrier"},
    }  # fmt: skip
    await older.publish(cover_topic, json.dumps(old_cover), retain=True)
    ha = HomeAssistant(prefix)
    ha.feed(cover_topic, json.dumps(old_cover).encode())

    sub = await subscribe(broker.port, [f"{prefix}/#"])
    await sub.wait_for(cover_topic)  # the old retained config, as Home Assistant has it
    mark = len(sub.messages)
    await make_hub(config(broker.port, base, prefix, extra=BARRIER))
    await sub.wait_for(cover_topic, lambda m: m.payload == b"", since=mark)
    for message in sub.messages[mark:]:
        ha.feed(message.topic, message.payload)
    assert (ha.removed, ha.duplicates) == ([], [])
    assert ha.by_default_id("cover.east_in_barrier")["unique_id"] == f"{NODE}_barrier:east_in-barrier"
