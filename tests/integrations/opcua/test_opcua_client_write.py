"""Writable entities from tags of a plant OPC UA server: switch, number, text, button and cover, each
write read back before the service call returns."""

# ruff: noqa: F811 - the tests take fixtures imported from other test packages by name

from __future__ import annotations

import pytest

from hub.core import HubError, ServiceValidationError
from hub.core.auth import Role
from hub.core.context import Context
from tests.common import wait_state
from tests.integrations.opcua.scada import SCADA_URI, scada  # noqa: F401 - the fixture


def scada_yaml(url: str) -> str:
    ns = f"nsu={SCADA_URI};s="
    return f"""\
hub: {{}}
opcua:
  server: false
  clients:
    - name: scada
      url: {url}
      publishing_interval: 0.05
      watchdog_seconds: 0.2
      timeout: 1
      tags:
        - {{node_id: "{ns}Barrier.Pos", write_node_id: "{ns}Barrier.Cmd", key: gate1_barrier,
           platform: cover, command_open: 1, command_close: 2}}
        - {{node_id: "{ns}Fog.Run", key: fog_cannon, platform: switch}}
        - {{node_id: "{ns}Fog.Rate", key: fog_rate, platform: number, minimum: 0, maximum: 50}}
        - {{node_id: "{ns}LED.Text", key: gate1_led, platform: text}}
        - {{node_id: "{ns}Alarm", key: gate1_alarm_reset, platform: button, press_value: false}}
"""


async def test_writable_tags_are_written_and_read_back(make_hub, scada) -> None:
    hub = await make_hub(scada_yaml(scada.url))
    assert "opcua" in hub.loaded, hub.setup_errors
    await wait_state(hub, "binary_sensor.opcua_scada_connected", "on")
    await wait_state(hub, "cover.gate1_barrier", "closed")
    await wait_state(hub, "switch.fog_cannon", "off")
    call = hub.services.async_call

    await call("switch", "turn_on", {"entity_id": "switch.fog_cannon"})
    assert await scada.get("Fog.Run") is True
    await wait_state(hub, "switch.fog_cannon", "on")
    await call("switch", "turn_off", {"entity_id": ["switch.fog_cannon"]})
    await wait_state(hub, "switch.fog_cannon", "off")

    await call("number", "set_value", {"entity_id": "number.fog_rate", "value": 12.5})
    assert await scada.get("Fog.Rate") == pytest.approx(12.5)
    await wait_state(hub, "number.fog_rate", "12.5")
    with pytest.raises(HubError, match="outside"):
        await call("number", "set_value", {"entity_id": "number.fog_rate", "value": 80})

    await call("text", "set_value", {"entity_id": "text.gate1_led", "value": "冀B12345 请通行"})
    assert await scada.get("LED.Text") == "冀B12345 请通行"
    await wait_state(hub, "text.gate1_led", "冀B12345 请通行")

    await scada.set("Alarm", True)
    await call("button", "press", {"entity_id": "button.gate1_alarm_reset"})
    assert await scada.get("Alarm") is False

    # The cover follows the PLC's position tag, not the command: opening, then open, then closed.
    await call("cover", "open_cover", {"entity_id": "cover.gate1_barrier"})
    await wait_state(hub, "cover.gate1_barrier", "opening")
    await wait_state(hub, "cover.gate1_barrier", "open")
    assert hub.states.get("cover.gate1_barrier").attributes["current_position"] == 100
    await call("cover", "close_cover", {"entity_id": "cover.gate1_barrier"})
    await wait_state(hub, "cover.gate1_barrier", "closing")
    await wait_state(hub, "cover.gate1_barrier", "closed")
    assert scada.commands == [1, 2]


async def test_writes_check_roles_and_targets_and_fail_when_the_server_is_away(make_hub, scada) -> None:
    hub = await make_hub(scada_yaml(scada.url))
    await wait_state(hub, "binary_sensor.opcua_scada_connected", "on")
    guard = await hub.auth.async_add_user("guard1", "guard-pass-1", frozenset({Role.GUARD}))
    as_guard = Context(user_id=guard.id)
    call = hub.services.async_call
    # A guard may move a barrier, but not a plant tag such as the fog cannon (the engineer's).
    await call("cover", "open_cover", {"entity_id": "cover.gate1_barrier"}, as_guard)
    with pytest.raises(Exception, match="needs one of the roles engineer"):
        await call("switch", "turn_on", {"entity_id": "switch.fog_cannon"}, as_guard)
    with pytest.raises(ServiceValidationError, match="no switch"):
        await call("switch", "turn_on", {"entity_id": "cover.gate1_barrier"})

    await scada.stop()
    await wait_state(hub, "binary_sensor.opcua_scada_connected", "off")
    with pytest.raises(HubError, match="not connected"):
        await call("switch", "turn_on", {"entity_id": "switch.fog_cannon"})
