"""Devices the hub commands over MQTT (command/state topic pairs): a fog cannon's switch, a dosing
rate, an LED text, an acknowledge button and a barrier, played by a device on the broker that answers
on its state topics the way a gateway does."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest

from hub.core import ConfigError, HubError
from tests.common import wait_state


def yaml(port: int, dev: str, tag: str, extra: str = "") -> str:
    return f"""\
hub: {{name: 测试厂}}
mqtt:
  port: {port}
  base_topic: eg{tag}
  discovery_prefix: ha{tag}
  node_id: n{tag}
  reconnect_min_seconds: 0.1
  commands:
    - {{platform: switch, object_id: fog_cannon, command_topic: {dev}/fog/set, state_topic: {dev}/fog,
        confirm_seconds: 2}}
    - {{platform: number, object_id: fog_rate, command_topic: {dev}/rate/set, state_topic: {dev}/state,
        json_path: rate, minimum: 0, maximum: 50}}
    - {{platform: text, object_id: gate_led, command_topic: {dev}/led/set}}
    - {{platform: button, object_id: alarm_ack, command_topic: {dev}/ack, payload_press: "1"}}
    - {{platform: cover, object_id: north_barrier, command_topic: {dev}/barrier/set,
        state_topic: {dev}/barrier, cover_states: {{"0": closed, "1": opening, "2": open, "3": closing}}}}
{extra}"""


class GatewayDevice:
    """Answers commands as a device does; `obey=False` makes it ignore them (a device that is off)."""

    def __init__(self, client: Any, dev: str) -> None:
        self.client, self.dev = client, dev
        self.obey = True
        self.seen: list[tuple[str, str]] = []

    async def run(self) -> None:
        answers = {"fog/set": lambda p: [("fog", p)], "rate/set": lambda p: [("state", f'{{"rate": {p}}}')],
                   "barrier/set": lambda p: [("barrier", "1"), ("barrier", "2")] if p == "OPEN"
                   else [("barrier", "3"), ("barrier", "0")]}  # fmt: skip
        done = 0
        while True:
            await asyncio.sleep(0.02)
            for message in self.client.messages[done:]:
                done += 1
                what = message.topic.removeprefix(f"{self.dev}/")
                self.seen.append((what, message.payload.decode()))
                if self.obey and what in answers:
                    for topic, payload in answers[what](message.payload.decode()):
                        await self.client.publish(f"{self.dev}/{topic}", payload)


@pytest.fixture
async def device(broker, subscribe) -> Any:
    dev = f"gw{uuid.uuid4().hex[:8]}"
    client = await subscribe(broker.port, [f"{dev}/+/set", f"{dev}/ack"])
    gateway = GatewayDevice(client, dev)
    task = asyncio.ensure_future(gateway.run())
    yield gateway
    task.cancel()


async def test_commands_are_published_and_confirmed_by_the_state_topic(make_hub, broker, device) -> None:
    tag = uuid.uuid4().hex[:8]
    # What the gateway reported last, kept by the broker: the hub knows the devices' states at once.
    await device.client.publish(f"{device.dev}/fog", "OFF", retain=True)
    await device.client.publish(f"{device.dev}/barrier", "0", retain=True)
    hub = await make_hub(yaml(broker.port, device.dev, tag))
    assert "mqtt" in hub.loaded, hub.setup_errors
    assert hub.states.get("number.fog_rate").state == "unavailable"  # no report yet
    await wait_state(hub, "switch.fog_cannon", "off")
    await wait_state(hub, "cover.north_barrier", "closed")
    call = hub.services.async_call

    await call("switch", "turn_on", {"entity_id": "switch.fog_cannon"})
    assert hub.states.get("switch.fog_cannon").state == "on"
    await call("switch", "turn_off", {"entity_id": "switch.fog_cannon"})
    assert hub.states.get("switch.fog_cannon").state == "off"
    await call("number", "set_value", {"entity_id": "number.fog_rate", "value": 12.5})
    assert hub.states.get("number.fog_rate").state == "12.5"
    with pytest.raises(HubError, match="outside"):
        await call("number", "set_value", {"entity_id": "number.fog_rate", "value": 99})
    await call("text", "set_value", {"entity_id": "text.gate_led", "value": "冀B12345 请通行"})
    assert hub.states.get("text.gate_led").state == "冀B12345 请通行"  # no state topic: what was sent
    await call("button", "press", {"entity_id": "button.alarm_ack"})
    await call("cover", "open_cover", {"entity_id": "cover.north_barrier"})
    await wait_state(hub, "cover.north_barrier", "open")
    await call("cover", "close_cover", {"entity_id": "cover.north_barrier"})
    await wait_state(hub, "cover.north_barrier", "closed")
    assert ("ack", "1") in device.seen and ("led/set", "冀B12345 请通行") in device.seen
    assert [p for w, p in device.seen if w == "barrier/set"] == ["OPEN", "CLOSE"]

    # A device that does not carry the command out: the call fails, naming what it shows.
    device.obey = False
    with pytest.raises(HubError, match="did not confirm it within 2 s"):
        await call("switch", "turn_on", {"entity_id": "switch.fog_cannon"})
    assert hub.states.get("switch.fog_cannon").state == "off"


async def test_a_command_topic_under_the_hubs_own_base_is_refused(make_hub, broker) -> None:
    tag = uuid.uuid4().hex[:8]
    text = yaml(broker.port, f"eg{tag}", tag)
    with pytest.raises(ConfigError, match="under the hub's own base topic"):
        await make_hub(text)
