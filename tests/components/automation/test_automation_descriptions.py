"""What started a run and why it stopped, as a code and its values beside the English text: the console
words them in its page's language (hub/ui/automations_page.py), the English stays for logs and audit."""

from __future__ import annotations

from datetime import timedelta

from hub.components.automation.describe import described
from hub.core.const import EVENT_GATE_DECISION, EVENT_PASSAGE_RECORDED
from tests.components.automation.conftest import reached

EVERY_TRIGGER = """
- id: described
  mode: parallel
  trace: {stored_traces: 20}
  triggers:
    - {trigger: state, entity_id: sensor.door, to: "open"}
    - {trigger: state, entity_id: sensor.wash, to: "on", for: 30}
    - {trigger: numeric_state, entity_id: sensor.pm10, above: 150}
    - {trigger: numeric_state, entity_id: sensor.pm25, above: 75, for: {minutes: 10}}
    - {trigger: event, event_type: truck_denied}
    - {trigger: passage, stage: [denied, weighed]}
    - {trigger: time_pattern, minutes: 15}
    - {trigger: time, at: "08:20"}
  actions: [{event: described_run}]
"""


def test_an_mqtt_trigger_is_said_by_its_topic() -> None:
    # Needs a broker to fire (test_automation_triggers.py); the other kinds fire below.
    assert described("mqtt", topic="plant/lpr/east") == {
        "description": "mqtt topic plant/lpr/east",
        "description_code": "mqtt",
        "description_params": {"topic": "plant/lpr/east"},
    }


async def test_each_trigger_kind_gives_its_code_and_values(plant_hub, clock) -> None:
    hub, _calls, _runs = await plant_hub(EVERY_TRIGGER)
    hub.states.async_set("sensor.door", "open")
    hub.states.async_set("sensor.wash", "on")
    clock.advance(30)
    hub.states.async_set("sensor.pm10", "180")
    hub.states.async_set("sensor.pm25", "80")
    clock.advance(600)
    hub.bus.async_fire("truck_denied", {"plate": "冀B40004"})
    hub.bus.async_fire(
        EVENT_GATE_DECISION, {"passage_id": "P1", "gate": "east", "lane": "in", "decision": "deny"}
    )
    hub.bus.async_fire(EVENT_PASSAGE_RECORDED, {"kind": "weight", "passage_id": "P1", "gate": "east",
                                                "lane": "in", "weight_kg": 41280})  # fmt: skip
    await hub.async_block_till_done()
    clock.advance(timedelta(minutes=4, seconds=30))  # 08:15:00
    await hub.async_block_till_done()
    clock.advance(timedelta(minutes=5))  # 08:20:00
    await hub.async_block_till_done()
    await hub.services.async_call("automation", "trigger", {"entity_id": "described"})
    await hub.async_block_till_done()

    answer = await hub.services.async_call("automation", "trace", {"entity_id": "described"})
    triggers = [t["trigger"] for t in reversed(answer["traces"])]
    said = [(t["description_code"], t["description_params"], t["description"]) for t in triggers]
    assert said == [
        ("state", {"entity_id": "sensor.door"}, "state of sensor.door"),
        ("state_for", {"entity_id": "sensor.wash", "seconds": 30.0}, "state of sensor.wash for 30 s"),
        ("numeric_state", {"entity_id": "sensor.pm10"}, "numeric state of sensor.pm10"),
        ("numeric_state_for", {"entity_id": "sensor.pm25", "seconds": 600.0},
         "numeric state of sensor.pm25 for 600 s"),
        ("event", {"event_type": "truck_denied"}, "event 'truck_denied'"),
        ("passage", {"stage": "denied", "gate": "east", "lane": "in"}, "passage denied at east/in"),
        ("passage", {"stage": "weighed", "gate": "east", "lane": "in"}, "passage weighed at east/in"),
        ("time_pattern", {"time": "08:15:00"}, "time pattern 08:15:00"),
        ("time", {"time": "08:20:00"}, "time 08:20:00"),
        ("manual", {}, "triggered by service"),
    ]  # fmt: skip


async def test_a_stop_the_automation_made_has_a_code_and_one_written_in_it_none(plant_hub, clock) -> None:
    hub, _calls, runs = await plant_hub(
        """
        - id: stops
          mode: queued
          trace: {stored_traces: 10}
          triggers: [{trigger: event, event_type: go}]
          actions:
            - choose:
                - conditions: "{{ trigger.event.data.how == 'written' }}"
                  sequence: [{stop: 磅秤为空 empty scale}]
                - conditions: "{{ trigger.event.data.how == 'condition' }}"
                  sequence: [{condition: template, value_template: "{{ false }}"}]
              default:
                - wait_for_trigger: [{trigger: event, event_type: never}]
                  timeout: 5
                  continue_on_timeout: false
        """
    )
    for how in ("written", "condition", "wait"):
        hub.bus.async_fire("go", {"how": how})
        if how == "wait":
            await reached(hub, "stops", "action/0/default/0")
            clock.advance(5)
        await runs.next()
    answer = await hub.services.async_call("automation", "trace", {"entity_id": "stops"})
    ends = [(t["script_execution"], t["stop_code"], t["stop_reason"]) for t in reversed(answer["traces"])]
    assert ends == [
        ("stopped", None, "磅秤为空 empty scale"),
        ("failed_conditions", "condition_failed", "a condition in the actions did not hold"),
        ("aborted", "wait_timeout", "the wait timed out"),
    ]
