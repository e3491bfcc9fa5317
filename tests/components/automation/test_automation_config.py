"""Loading: errors name file, line and key and stop no other automation; include_dir_merge_list;
reload without a restart; an automation that raises stops nothing else; the REST doors."""

from __future__ import annotations

import aiohttp

from hub.core.auth import Role
from tests.components.automation.conftest import Calls, Runs, automation_config
from tests.ui.conftest import add_role_users, token_for

GOOD = """
- id: good
  trigger: {platform: event, event_type: go}
  action: {service: plant.good}
"""


async def test_a_bad_automation_is_reported_with_file_line_key_and_the_others_run(plant_hub) -> None:
    hub, calls, _runs = await plant_hub(
        GOOD
        + """
- id: typo
  trigger:
    - platform: state
      entity_id: Sensor.PM10
  action: {service: plant.bad}
- id: unknown_action
  trigger: {platform: event, event_type: go}
  action:
    - delay: 1
    - servce: plant.bad
""",
        services=("good", "bad"),
    )
    answer = await hub.services.async_call("automation", "list", {})
    errors = answer["errors"]
    assert any(e.startswith("automations.yaml:9: automation[1].trigger[0].entity_id:") for e in errors), (
        errors
    )
    assert any(e.startswith("automations.yaml:15: automation[2].action[1]:") for e in errors), errors
    assert hub.states.get("automation.typo").state == "unavailable"
    assert "entity_id" in hub.states.get("automation.typo").attributes["error"]
    hub.bus.async_fire("go")
    assert (await calls.next()).service == "good"


async def test_a_yaml_syntax_error_in_automations_yaml_stops_nothing(make_hub, clock) -> None:
    hub = await make_hub("hub: {name: t}\nautomation:\n", clock=clock, automations__yaml="- id: [unclosed\n")
    assert hub.state.value == "running"
    answer = await hub.services.async_call("automation", "list", {})
    assert answer["errors"][0].startswith("automations.yaml:2: YAML syntax")


async def test_include_dir_merge_list_and_reload_without_restart(make_hub, clock, tmp_path) -> None:
    config_dir = tmp_path / "plant"
    (config_dir / "automations").mkdir(parents=True)
    (config_dir / "automations" / "gates.yaml").write_text(GOOD, encoding="utf-8")
    (config_dir / "automations" / "dust.yaml").write_text(
        "- id: dust\n  trigger: {platform: event, event_type: dust}\n  action: {service: plant.fog}\n",
        encoding="utf-8",
    )
    hub = await make_hub(
        "hub: {name: t}\nautomation: !include_dir_merge_list automations\n",
        clock=clock,
        config_dir=config_dir,
    )
    calls, runs = Calls(hub).register("good", "fog", "new"), Runs(hub)
    assert {s.entity_id for s in hub.states.all("automation")} == {"automation.good", "automation.dust"}
    hub.bus.async_fire("dust")
    await calls.next()

    (config_dir / "automations" / "dust.yaml").write_text(
        "- id: dust\n  trigger: {platform: event, event_type: dust}\n  action: {service: plant.new}\n"
        "- id: added\n  trigger: {platform: event, event_type: added}\n  action:\n    - delay: x\n",
        encoding="utf-8",
    )
    (config_dir / "automations" / "gates.yaml").unlink()
    answer = await hub.services.async_call("automation", "reload", {})
    assert answer["started"] == ["dust"] and answer["loaded"] == ["dust"]
    assert answer["errors"][0].startswith("dust.yaml:7: automation[1].action[0].delay:")
    assert hub.states.get("automation.good") is None
    assert hub.states.get("automation.added").state == "unavailable"
    hub.bus.async_fire("dust")
    assert (await calls.next()).service == "new"
    await runs.next()
    answer = await hub.services.async_call("automation", "reload", {})
    assert answer["kept"] == ["dust"] and answer["started"] == []

    # A file that does not parse: reported, and what runs goes on running.
    (config_dir / "automations" / "dust.yaml").write_text("- id: dust\n  trigger: [oops\n", encoding="utf-8")
    answer = await hub.services.async_call("automation", "reload", {})
    assert answer["errors"][0].startswith("dust.yaml:3: YAML syntax") and answer["kept"] == ["dust"]
    hub.bus.async_fire("dust")
    assert (await calls.next()).service == "new"


async def test_an_automation_that_raises_stops_neither_the_hub_nor_another(plant_hub) -> None:
    hub, calls, runs = await plant_hub(
        GOOD
        + """
- id: raises_in_condition
  trigger: {platform: event, event_type: go}
  condition: "{{ 1 / 0 }}"
  action: {service: plant.bad}
- id: raises_in_action
  trigger: {platform: event, event_type: go}
  action:
    - variables: {x: "{{ undefined_thing.foo.bar() }}"}
    - service: plant.bad
- id: unknown_service
  trigger: {platform: event, event_type: go}
  action: {service: nowhere.nothing}
""",
        services=("good", "bad"),
    )
    for _ in range(2):
        hub.bus.async_fire("go")
        await calls.next()
    await hub.async_block_till_done()
    ends = {}
    while len(ends) < 3:
        event = await runs.next()
        ends[event.data["automation_id"]] = event.data
    assert ends["raises_in_action"]["script_execution"] == "error"
    assert "ServiceNotFound" in ends["unknown_service"]["error"]
    traces = await hub.services.async_call("automation", "trace", {"entity_id": "raises_in_condition"})
    assert traces["traces"][0]["script_execution"] == "error"
    assert "division by zero" in traces["traces"][0]["error"]
    assert [c.service for c in calls.calls] == ["good", "good"]
    assert hub.state.value == "running"


async def test_rest_lists_automations_and_traces_by_role(make_hub, clock) -> None:
    cfg = automation_config(GOOD, "ui: {port: 0}\n")
    hub = await make_hub(cfg["text"], clock=clock, automations__yaml=cfg["automations__yaml"])
    await add_role_users(hub)
    calls, runs = Calls(hub).register("good"), Runs(hub)
    hub.bus.async_fire("go")
    await runs.next()
    base = hub.data["ui"].url
    async with aiohttp.ClientSession() as session:
        inspector = {"Authorization": f"Bearer {await token_for(session, base, Role.INSPECTOR)}"}
        guard = {"Authorization": f"Bearer {await token_for(session, base, Role.GUARD)}"}
        async with session.get(f"{base}/api/automations", headers=inspector) as response:
            assert response.status == 200
            body = await response.json()
        assert body["automations"][0]["entity_id"] == "automation.good"
        assert body["automations"][0]["state"] == "on"
        async with session.get(
            f"{base}/api/automations/automation.good/traces", headers=inspector
        ) as response:
            assert response.status == 200
            traces = (await response.json())["traces"]
        assert traces[0]["script_execution"] == "finished"
        assert traces[0]["steps"][0]["result"]["service"] == "plant.good"
        async with session.get(f"{base}/api/automations/automation.good/traces", headers=guard) as response:
            assert response.status == 403
        async with session.get(f"{base}/api/automations/nothing/traces", headers=inspector) as response:
            assert response.status == 404
        async with session.get(f"{base}/api/automations/good/traces?run_id=x", headers=inspector) as response:
            assert response.status == 400
        async with session.post(
            f"{base}/api/services/automation/turn_off", json={"entity_id": "good"}, headers=guard
        ) as response:
            assert response.status == 403
    assert len(calls.calls) == 1
