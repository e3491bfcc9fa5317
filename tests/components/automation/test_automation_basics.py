"""State triggers, conditions, service calls with the run's context, traces, on/off, the entity."""

from __future__ import annotations

from hub.core import Context
from hub.core.const import EVENT_SERVICE_CALLED


async def test_state_trigger_calls_service_with_rendered_data_and_child_context(plant_hub) -> None:
    hub, calls, runs = await plant_hub(
        """
        - id: gate_light
          alias: 道闸开启亮灯
          trigger:
            - platform: state
              entity_id: cover.east_in
              to: open
          condition:
            - condition: state
              entity_id: input.mode
              state: auto
          action:
            - service: plant.light
              data:
                lane: "{{ trigger.entity_id }}"
                was: "{{ trigger.from_state.state }}"
                count: "{{ 2 + 3 }}"
        """,
        services=("light",),
    )
    hub.states.async_set("input.mode", "auto")
    hub.states.async_set("cover.east_in", "closed")
    cause = Context()
    hub.states.async_set("cover.east_in", "open", context=cause)
    call = await calls.next()
    assert call.data == {"lane": "cover.east_in", "was": "closed", "count": 5}
    assert call.context.parent_id == cause.id and call.context.user_id is None
    assert call.door == "automation"
    finished = await runs.next()
    assert finished.data["script_execution"] == "finished"
    state = hub.states.get("automation.gate_light")
    assert state is not None and state.state == "on"
    assert state.attributes["last_triggered"] == hub.now().isoformat()
    assert state.attributes["friendly_name"] == "道闸开启亮灯"

    # The condition fails: a trace says so, no call.
    hub.states.async_set("input.mode", "manual")
    hub.states.async_set("cover.east_in", "closed")
    hub.states.async_set("cover.east_in", "open")
    traces = await hub.services.async_call("automation", "trace", {"entity_id": "automation.gate_light"})
    newest = traces["traces"][0]
    assert newest["script_execution"] == "failed_conditions"
    assert newest["steps"][0]["path"] == "condition/0" and newest["steps"][0]["result"] == {"result": False}
    assert len(calls.calls) == 1
    first = traces["traces"][1]
    assert first["trigger"]["to_state"]["state"] == "open"
    assert [s["path"] for s in first["steps"]] == ["condition/0", "action/0"]
    assert first["steps"][1]["result"]["data"]["count"] == 5
    assert first["context"]["parent_id"] == cause.id


async def test_turn_off_and_on_survive_and_are_audited_calls(plant_hub) -> None:
    hub, calls, _runs = await plant_hub(
        """
        - id: ping
          trigger: {platform: event, event_type: ping}
          action: {service: plant.pong}
        """,
        services=("pong",),
    )
    seen = []
    hub.bus.async_listen(EVENT_SERVICE_CALLED, lambda e: seen.append(e.data))
    await hub.services.async_call("automation", "turn_off", {"entity_id": "automation.ping"})
    assert hub.states.get("automation.ping").state == "off"
    hub.bus.async_fire("ping")
    await hub.async_block_till_done()
    assert calls.calls == []
    await hub.services.async_call("automation", "turn_on", {"entity_id": "ping"})
    hub.bus.async_fire("ping")
    await calls.next()
    assert any(d["service"] == "turn_off" and d["outcome"] == "ok" for d in seen)


async def test_trigger_service_runs_now_with_variables_and_toggle_all(plant_hub) -> None:
    hub, calls, runs = await plant_hub(
        """
        - id: manual
          trigger: {platform: event, event_type: never}
          condition: "{{ false }}"
          action: {service: plant.run, data: {who: "{{ who | default('nobody') }}"}}
        - id: other
          trigger: {platform: event, event_type: never}
          action: {service: plant.run}
        """,
        services=("run",),
    )
    cause = Context()
    answer = await hub.services.async_call(
        "automation", "trigger", {"entity_id": "automation.manual", "variables": {"who": "值班员"}}, cause
    )
    assert answer["runs"][0]["entity_id"] == "automation.manual"
    call = await calls.next()
    assert call.data == {"who": "值班员"} and call.context.parent_id == cause.id
    await runs.next()
    answer = await hub.services.async_call(
        "automation", "trigger", {"entity_id": "manual", "skip_condition": False}
    )
    traces = await hub.services.async_call("automation", "trace", {"entity_id": "manual"})
    assert traces["traces"][0]["script_execution"] == "failed_conditions"
    await hub.services.async_call("automation", "toggle", {"entity_id": "all"})
    assert {s.state for s in hub.states.all("automation")} == {"off"}
    await hub.services.async_call("automation", "toggle", {"entity_id": ["manual", "automation.other"]})
    assert {s.state for s in hub.states.all("automation")} == {"on"}


async def test_an_mqtt_trigger_without_mqtt_leaves_its_automation_unavailable_only(plant_hub) -> None:
    hub, calls, _runs = await plant_hub(
        """
        - id: needs_mqtt
          trigger: {platform: mqtt, topic: plant/x}
          action: {service: plant.run}
        - id: fine
          trigger: {platform: event, event_type: go}
          action: {service: plant.run}
        """,
        services=("run",),
    )
    state = hub.states.get("automation.needs_mqtt")
    assert state.state == "unavailable" and "mqtt integration" in state.attributes["error"]
    hub.bus.async_fire("go")
    assert (await calls.next()).service == "run"


async def test_turned_off_stays_off_after_a_restart_unless_initial_state(make_hub, clock, tmp_path) -> None:
    files = {
        "automations__yaml": """
            - id: kept_off
              trigger: {platform: event, event_type: go}
              action: {event: done}
            - id: forced_on
              initial_state: true
              trigger: {platform: event, event_type: go}
              action: {event: done}
            """
    }
    config_dir = tmp_path / "plant"
    hub = await make_hub("hub: {name: t}\nautomation:\n", clock=clock, config_dir=config_dir, **files)
    await hub.services.async_call("automation", "turn_off", {"entity_id": ["kept_off", "forced_on"]})
    await hub.async_stop()
    again = await make_hub("hub: {name: t}\nautomation:\n", clock=clock, config_dir=config_dir, **files)
    assert again.states.get("automation.kept_off").state == "off"
    assert again.states.get("automation.forced_on").state == "on"
