"""Every action kind: delay, wait_for_trigger (caught and timed out), choose, if/then/else, repeat
(count, while, until, for_each), event, stop, variables, condition, continue_on_error."""

from __future__ import annotations

from hub.core import Event
from tests.components.automation.conftest import reached


async def test_delay_and_wait_for_trigger_on_the_hub_clock(plant_hub, clock) -> None:
    hub, calls, _runs = await plant_hub(
        """
        - id: exit_after_wash
          mode: parallel
          trigger: {platform: event, event_type: truck_at_exit}
          action:
            - delay: 5
            - service: plant.step
              data: {what: waited}
            - wait_for_trigger:
                - platform: event
                  event_type: wheel_wash_cycle
                  event_data: {plate: "{{ trigger.event.data.plate }}"}
              timeout: {minutes: 5}
            - service: plant.step
              data:
                what: "{{ 'washed' if wait.trigger else 'timed out' }}"
                left: "{{ wait.remaining | round(0) }}"
        """,
        services=("step",),
    )
    hub.bus.async_fire("truck_at_exit", {"plate": "冀B1"})
    await reached(hub, "exit_after_wash", "action/0")
    clock.advance(4.9)
    assert calls.calls == []
    clock.advance(0.1)
    assert (await calls.next()).data == {"what": "waited"}
    await reached(hub, "exit_after_wash", "action/2")
    clock.advance(60)
    hub.bus.async_fire("wheel_wash_cycle", {"plate": "冀B1"})
    assert (await calls.next()).data == {"what": "washed", "left": 240.0}

    hub.bus.async_fire("truck_at_exit", {"plate": "冀B2"})
    await reached(hub, "exit_after_wash", "action/0")
    clock.advance(5)
    await calls.next()
    await reached(hub, "exit_after_wash", "action/2")
    hub.bus.async_fire("wheel_wash_cycle", {"plate": "冀B9"})  # another truck's wash
    clock.advance(300)
    assert (await calls.next()).data == {"what": "timed out", "left": 0.0}


async def test_choose_if_variables_event_and_stop(plant_hub) -> None:
    hub, calls, runs = await plant_hub(
        """
        - id: sorter
          mode: queued
          variables: {limit: 40000}
          trigger: {platform: event, event_type: weighed}
          action:
            - variables:
                kg: "{{ trigger.event.data.kg }}"
                heavy: "{{ trigger.event.data.kg > limit }}"
            - choose:
                - conditions: "{{ heavy }}"
                  sequence:
                    - event: overweight
                      event_data: {kg: "{{ kg }}"}
                - conditions:
                    - condition: template
                      value_template: "{{ kg == 0 }}"
                  sequence:
                    - stop: empty scale
              default:
                - service: plant.normal
            - if:
                - condition: template
                  value_template: "{{ kg < 100 }}"
              then: [{service: plant.light}]
              else: [{service: plant.heavy, data: {kg: "{{ kg }}"}}]
        """,
        services=("normal", "light", "heavy"),
    )
    over: list[Event] = []
    hub.bus.async_listen("overweight", over.append)
    hub.bus.async_fire("weighed", {"kg": 45000})
    assert (await calls.next()).data == {"kg": 45000}
    assert over[0].data == {"kg": 45000}
    hub.bus.async_fire("weighed", {"kg": 0})
    stopped = await runs.next()
    stopped = await runs.next()
    assert stopped.data["script_execution"] == "stopped"
    hub.bus.async_fire("weighed", {"kg": 50})
    assert (await calls.next()).service == "normal"
    assert (await calls.next()).service == "light"
    traces = await hub.services.async_call("automation", "trace", {"entity_id": "sorter"})
    newest = traces["traces"][0]
    assert [s["path"] for s in newest["steps"]] == ["action/0", "action/1", "action/1/default/0", "action/2",
                                                     "action/2/then/0"]  # fmt: skip
    assert newest["steps"][1]["result"] == {"choice": "default"}
    assert traces["traces"][1]["stop_reason"] == "empty scale"


async def test_repeat_count_while_until_for_each(plant_hub) -> None:
    hub, calls, runs = await plant_hub(
        """
        - id: repeats
          trigger: {platform: event, event_type: go}
          action:
            - repeat:
                count: "{{ 1 + 1 }}"
                sequence: [{service: plant.count, data: {i: "{{ repeat.index }}", last: "{{ repeat.last }}"}}]
            - repeat:
                for_each: [东门, 西门]
                sequence: [{service: plant.each, data: {gate: "{{ repeat.item }}"}}]
            - repeat:
                while: "{{ repeat.index <= 3 }}"
                sequence: [{service: plant.while}]
            - repeat:
                until:
                  - condition: state
                    entity_id: sensor.lamp
                    state: "2"
                sequence:
                  - service: plant.until
                    data: {i: "{{ repeat.index }}"}
        """,
        services=("count", "each", "while", "until"),
    )

    def lamp(event: Event) -> None:
        if event.data.get("service") == "until":
            hub.states.async_set("sensor.lamp", str(len([c for c in calls.calls if c.service == "until"])))

    hub.bus.async_listen("service_called", lamp)
    hub.bus.async_fire("go")
    finished = await runs.next()
    assert finished.data["script_execution"] == "finished"
    assert [c.data for c in calls.named("count")] == [{"i": 1, "last": False}, {"i": 2, "last": True}]
    assert [c.data["gate"] for c in calls.named("each")] == ["东门", "西门"]
    assert len(calls.named("while")) == 3
    assert [c.data["i"] for c in calls.named("until")] == [1, 2]


async def test_condition_step_continue_on_error_and_a_failing_service(plant_hub) -> None:
    hub, calls, runs = await plant_hub(
        """
        - id: guarded
          trigger: {platform: event, event_type: go}
          action:
            - service: plant.broken
              continue_on_error: true
            - condition: state
              entity_id: binary_sensor.loop
              state: "on"
            - service: plant.after
        - id: failing
          trigger: {platform: event, event_type: go}
          action:
            - service: plant.broken
            - service: plant.never
        """,
        services=("broken", "after", "never"),
        fail=("broken",),
    )
    hub.states.async_set("binary_sensor.loop", "on")
    hub.bus.async_fire("go")
    results: dict[str, dict] = {}
    for _ in range(2):
        event = await runs.next()
        results[event.data["automation_id"]] = event.data
    assert results["guarded"]["script_execution"] == "finished"
    assert results["failing"]["script_execution"] == "error"
    assert "plant.broken is broken" in results["failing"]["error"]
    assert calls.named("after") and not calls.named("never")
    hub.states.async_set("binary_sensor.loop", "off")
    hub.bus.async_fire("go")
    for _ in range(2):
        event = await runs.next()
        results[event.data["automation_id"]] = event.data
    assert results["guarded"]["script_execution"] == "failed_conditions"
    assert len(calls.named("after")) == 1
