"""Every trigger kind: state (from/to/for/attribute), numeric_state, event, time, time_pattern, mqtt,
passage; `for:` and times run on the hub's ManualClock."""

from __future__ import annotations

import uuid
from datetime import timedelta

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from hub.core.const import EVENT_GATE_DECISION, EVENT_PASSAGE_RECORDED
from tests.common import wait_state


async def test_state_trigger_for_waits_on_the_clock_and_forgets_a_broken_spell(plant_hub, clock) -> None:
    hub, calls, runs = await plant_hub(
        """
        - id: wash_stuck
          trigger:
            platform: state
            entity_id: binary_sensor.wash_running
            from: "off"
            to: "on"
            for: "00:10:00"
          action:
            - service: plant.warn
              data: {held: "{{ trigger.for }}"}
        """,
        services=("warn",),
    )
    hub.states.async_set("binary_sensor.wash_running", "off")
    hub.states.async_set("binary_sensor.wash_running", "on")
    clock.advance(300)
    hub.states.async_set("binary_sensor.wash_running", "on", {"cycle": 2})  # an attribute: the spell goes on
    clock.advance(299)
    assert runs.started == []
    clock.advance(1)
    assert (await calls.next()).data == {"held": 600.0}

    hub.states.async_set("binary_sensor.wash_running", "off")
    hub.states.async_set("binary_sensor.wash_running", "on")
    clock.advance(300)
    hub.states.async_set("binary_sensor.wash_running", "off")  # broken before 10 minutes
    clock.advance(600)
    assert len(runs.started) == 1


async def test_state_trigger_attribute_and_any_change(plant_hub) -> None:
    hub, calls, _runs = await plant_hub(
        """
        - id: plate_seen
          trigger: {platform: state, entity_id: sensor.east_in_plate, attribute: colour, to: yellow}
          action: {service: plant.seen, data: {plate: "{{ trigger.to_state.state }}"}}
        - id: any_change
          mode: queued
          trigger: {platform: state, entity_id: sensor.display}
          action: {service: plant.any}
        """,
        services=("seen", "any"),
    )
    hub.states.async_set("sensor.east_in_plate", "冀B12345", {"colour": "blue"})
    hub.states.async_set("sensor.east_in_plate", "冀B60006", {"colour": "yellow"})
    assert (await calls.next()).data == {"plate": "冀B60006"}
    hub.states.async_set("sensor.display", "欢迎")
    hub.states.async_set("sensor.display", "欢迎", {"brightness": 3})  # attributes alone count here
    await calls.next()
    await calls.next()
    assert len(calls.named("any")) == 2 and len(calls.named("seen")) == 1


async def test_numeric_state_fires_on_entering_the_range_once(plant_hub, clock) -> None:
    hub, calls, runs = await plant_hub(
        """
        - id: pm10_high
          trigger:
            - platform: numeric_state
              entity_id: sensor.fence_pm10
              above: 150
              below: 1000
              for: {minutes: 10}
          action: {service: plant.fog, data: {pm10: "{{ trigger.to_state.state | float }}"}}
        """,
        services=("fog",),
    )
    hub.states.async_set("sensor.fence_pm10", "80")
    hub.states.async_set("sensor.fence_pm10", "180")
    clock.advance(timedelta(minutes=5))
    hub.states.async_set("sensor.fence_pm10", "90")  # dropped back: the spell is broken
    clock.advance(timedelta(minutes=10))
    assert runs.started == []
    hub.states.async_set("sensor.fence_pm10", "200")
    clock.advance(timedelta(minutes=4))
    hub.states.async_set("sensor.fence_pm10", "210")  # still above: the same spell
    clock.advance(timedelta(minutes=6))
    assert (await calls.next()).data == {"pm10": 210.0}
    hub.states.async_set("sensor.fence_pm10", "220")  # staying above fires no more
    hub.states.async_set("sensor.fence_pm10", "unavailable")
    clock.advance(timedelta(minutes=20))
    assert len(runs.started) == 1


async def test_event_trigger_filters_on_data(plant_hub) -> None:
    hub, calls, _runs = await plant_hub(
        """
        - id: wash_done
          trigger:
            platform: event
            event_type: wheel_wash_cycle
            event_data: {result: completed, bay: {id: 2}}
          action: {service: plant.note, data: {plate: "{{ trigger.event.data.plate }}"}}
        """,
        services=("note",),
    )
    hub.bus.async_fire("wheel_wash_cycle", {"result": "aborted", "bay": {"id": 2}, "plate": "冀B1"})
    hub.bus.async_fire("wheel_wash_cycle", {"result": "completed", "bay": {"id": 1}, "plate": "冀B2"})
    hub.bus.async_fire("wheel_wash_cycle", {"result": "completed", "bay": {"id": 2, "x": 1}, "plate": "冀B3"})
    assert (await calls.next()).data == {"plate": "冀B3"}
    await hub.async_block_till_done()
    assert len(calls.calls) == 1


async def test_time_and_time_pattern_follow_the_hub_clock(plant_hub, clock) -> None:
    # The clock starts on Tuesday 2026-11-24 08:00:00 (Asia/Shanghai).
    _hub, calls, runs = await plant_hub(
        """
        - id: shift_report
          trigger: {platform: time, at: ["08:30:00", "20:30"], weekday: [tue, wed]}
          action: {service: plant.report, data: {at: "{{ trigger.now.strftime('%H:%M') }}"}}
        - id: every_quarter
          trigger: {platform: time_pattern, minutes: "/15"}
          action: {service: plant.tick, data: {at: "{{ now().strftime('%H:%M:%S') }}"}}
        """,
        services=("report", "tick"),
    )
    clock.advance(timedelta(minutes=14, seconds=59))
    assert runs.started == []
    clock.advance(1)
    assert (await calls.next()).data == {"at": "08:15:00"}
    clock.advance(timedelta(minutes=15))
    both = {(c.service, c.data["at"]) for c in [await calls.next(), await calls.next()]}
    assert both == {("tick", "08:30:00"), ("report", "08:30")}


async def test_mqtt_trigger_through_the_mqtt_integration(plant_hub) -> None:
    base = f"t{uuid.uuid4().hex[:10]}"
    hub, calls, _runs = await plant_hub(
        f"""
        - id: lpr_push
          trigger:
            platform: mqtt
            topic: "{base}/lpr/+/plate"
            payload: yellow
            value_template: "{{{{ value_json.colour }}}}"
          action:
            service: plant.plate
            data: {{plate: "{{{{ trigger.payload_json.plate }}}}", topic: "{{{{ trigger.topic }}}}"}}
        """,
        services=("plate",),
        extra=f"mqtt: {{port: 1883, base_topic: {base}, node_id: {base}, discovery: false}}\n",
    )
    await wait_state(hub, "binary_sensor.mqtt_broker_connected", "on")
    client = paho.Client(CallbackAPIVersion.VERSION2)
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    try:
        client.publish(
            f"{base}/lpr/east/plate", '{"plate": "冀B00001", "colour": "blue"}', qos=1
        ).wait_for_publish(5)
        client.publish(
            f"{base}/lpr/east/plate", '{"plate": "冀B60006", "colour": "yellow"}', qos=1
        ).wait_for_publish(5)
        call = await calls.next(timeout=10)
    finally:
        client.loop_stop()
        client.disconnect()
    assert call.data == {"plate": "冀B60006", "topic": f"{base}/lpr/east/plate"}
    assert len(calls.calls) == 1


async def test_passage_trigger_stages_and_filters(plant_hub) -> None:
    hub, calls, _runs = await plant_hub(
        """
        - id: denied_east
          trigger: {platform: passage, stage: denied, lane: east_in}
          action: {service: plant.denied, data: {plate: "{{ trigger.passage.plate }}"}}
        - id: weighed
          trigger: {platform: passage, stage: weighed, vehicle_class: transport}
          action:
            service: plant.weighed
            data: {id: "{{ trigger.passage.passage_id }}", plate: "{{ trigger.passage.plate }}",
                   kg: "{{ trigger.passage.weight_kg }}"}
        """,
        services=("denied", "weighed"),
    )
    decision = {"passage_id": "P1", "gate": "east", "lane": "in", "plate": "冀B40004", "decision": "deny",
                "vehicle_class": "transport"}  # fmt: skip
    hub.bus.async_fire(EVENT_GATE_DECISION, {**decision, "lane": "out"})  # another lane
    hub.bus.async_fire(EVENT_GATE_DECISION, {**decision, "decision": "allow"})  # not denied
    hub.bus.async_fire(EVENT_GATE_DECISION, decision)
    assert (await calls.next()).data == {"plate": "冀B40004"}
    passage = {"kind": "passage", "passage_id": "P2", "gate": "east", "lane": "in", "plate": "冀B60006",
               "vehicle_class": "transport", "decision": "allow", "seq": 7}  # fmt: skip
    hub.bus.async_fire(EVENT_PASSAGE_RECORDED, passage)
    hub.bus.async_fire(EVENT_PASSAGE_RECORDED, {"kind": "weight", "passage_id": "P2", "gate": "east",
                                                "lane": "in", "weight_kg": 41280, "seq": 8})  # fmt: skip
    assert (await calls.next()).data == {"id": "P2", "plate": "冀B60006", "kg": 41280}
    await hub.async_block_till_done()
    assert len(calls.calls) == 2
