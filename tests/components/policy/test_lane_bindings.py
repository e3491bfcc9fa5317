"""Lanes bound to any entity. The done-when plant of issue 15: no barrier PLC and no weighbridge driver of
ours. The plant's existing SCADA (an asyncua server) holds the barrier's command and position tags, the
weighbridge weight and the loop detector; another camera system pushes its plate reads over MQTT. The
lane binds those entities, and the passage is the same in the ledger, on our OPC UA server and at the
supervisory platform (the uplink's simulator)."""

# ruff: noqa: F811 - the tests take fixtures imported from other test packages by name

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.components.uplink.profile import load_profile
from hub.components.uplink.simulator import PlatformSimulator
from hub.core.const import (
    EVENT_GATE_DECISION,
    EVENT_PASSAGE_RECORDED,
    EVENT_WEIGHT_STABLE,
)
from tests.common import wait_entity, wait_state
from tests.components.policy.conftest import lifecycle, records, seed
from tests.integrations.mqtt.conftest import Mosquitto, subscribe  # noqa: F401 - the fixture
from tests.integrations.opcua.conftest import PASSWORD, client_cert, connect, node  # noqa: F401
from tests.integrations.opcua.scada import SCADA_URI, scada  # noqa: F401 - the fixture

ACCOUNT, KEY, SECRET = "plant001", "k3y-plant001", "s3cret-plant001"
NS = f"nsu={SCADA_URI};s="


@pytest.fixture
def broker(tmp_path: Path) -> Any:
    server = Mosquitto(tmp_path / "mosquitto")
    server.start()
    yield server
    server.kill()


@pytest.fixture
async def platform() -> Any:
    sim = PlatformSimulator(load_profile("default", None), account=ACCOUNT, key=KEY, secret=SECRET)
    await sim.async_start()
    yield sim
    await sim.async_stop()


def plant_yaml(scada_url: str, broker_port: int, platform_url: str, lpr_topic: str, tag: str) -> str:
    return f"""\
hub: {{name: 现有SCADA钢厂}}
ui: {{port: 0}}
ledger: {{}}
vehicles: {{}}
policy:
  grade: B
  alarm_seconds: 1
  lanes:
    - gate: west
      lane: in
      plate: sensor.lpr_west_in_plate
      plate_colour: sensor.lpr_west_in_colour
      plate_confidence: sensor.lpr_west_in_confidence
      presence: binary_sensor.scada_loop
      barrier: cover.scada_barrier
      display: text.scada_led
      weight: sensor.scada_weight
      stable: {{seconds: 0.4, band_kg: 20, min_kg: 500, zero_kg: 200}}
mqtt:
  port: {broker_port}
  base_topic: eg{tag}
  discovery_prefix: ha{tag}
  node_id: plant{tag}
  reconnect_min_seconds: 0.1
  sensors:
    - {{topic: {lpr_topic}, object_id: lpr_west_in_plate, json_path: plate, value_type: string,
        force_update: true}}
    - {{topic: {lpr_topic}, object_id: lpr_west_in_colour, json_path: colour, value_type: string}}
    - {{topic: {lpr_topic}, object_id: lpr_west_in_confidence, json_path: confidence}}
opcua:
  port: 0
  auto_trust_clients: true
  clients:
    - name: scada
      url: {scada_url}
      publishing_interval: 0.05
      watchdog_seconds: 0.5
      timeout: 2
      tags:
        - {{node_id: "{NS}Barrier.Pos", write_node_id: "{NS}Barrier.Cmd", key: scada_barrier,
           platform: cover, command_open: 1, command_close: 2}}
        - {{node_id: "{NS}Loop", key: scada_loop, platform: binary_sensor}}
        - {{node_id: "{NS}WB.Weight", key: scada_weight, scale: 10, precision: 0,
           unit_of_measurement: kg}}
        - {{node_id: "{NS}LED.Text", key: scada_led, platform: text}}
uplink:
  plant: {{code: '91130200MA0TEST001', name: 测试钢厂, region: '130200'}}
  schedule_check_seconds: 0.05
  control_poll_seconds: 0.1
  idle_poll_seconds: 0.2
  platforms:
    - name: province
      profile: default
      url: {platform_url}
      account: {ACCOUNT}
      key: {KEY}
      secret: {SECRET}
      retry: {{initial_seconds: 0.02, max_seconds: 0.2, request_timeout: 5}}
"""


async def wait_lifecycle(hub: Any, lane_key: str, phase: str, timeout: float = 10.0) -> None:
    """The lane's decision sensor shows its passage at `phase`."""
    entity_id = f"sensor.{lane_key}_decision"
    await wait_entity(hub, entity_id, lambda s: s.attributes.get("lifecycle") == phase, timeout)


async def test_a_plant_wired_through_its_own_scada_and_camera_system(
    make_hub,
    scada,
    broker,
    platform,
    subscribe,
    connect,
) -> None:
    tag = uuid.uuid4().hex[:8]
    lpr_topic = f"lpr{tag}/west_in"
    hub = await make_hub(plant_yaml(scada.url, broker.port, platform.url, lpr_topic, tag))
    assert {"policy", "opcua", "mqtt", "uplink"} <= set(hub.loaded), hub.setup_errors
    await seed(hub)
    await wait_state(hub, "cover.scada_barrier", "closed")
    await wait_state(hub, "binary_sensor.scada_loop", "off")
    await wait_state(hub, "binary_sensor.mqtt_broker_connected", "on", timeout=10)
    camera = await subscribe(broker.port, [f"{lpr_topic}/ack"])
    weights: list[dict[str, Any]] = []
    hub.bus.async_listen(EVENT_WEIGHT_STABLE, lambda e: weights.append(dict(e.data)))
    committed: list[float] = []  # when the passage row's commit was announced (time.monotonic)
    hub.bus.async_listen(EVENT_PASSAGE_RECORDED, lambda e: committed.append(time.monotonic()))

    # The truck drives onto the loop; the other camera system sends its read.
    await scada.set("Loop", True)
    await wait_state(hub, "binary_sensor.scada_loop", "on")
    decided = asyncio.ensure_future(hub.bus.async_wait_for(EVENT_GATE_DECISION, None, 10))
    await asyncio.sleep(0)
    await camera.publish(lpr_topic, json.dumps({"plate": "冀B60006", "colour": "黄", "confidence": 96}))
    decision = (await decided).data
    assert (decision["gate"], decision["lane"], decision["direction"]) == ("west", "in", "in")
    assert (decision["plate"], decision["colour"], decision["decision"]) == ("冀B60006", "yellow", "allow")
    passage_id = decision["passage_id"]

    # Committed, then the SCADA's barrier command tag written and read back; the PLC lifts the arm.
    await wait_state(hub, "cover.scada_barrier", "open")
    assert scada.commands == [1]
    assert committed[0] < scada.written_at[0]  # the ledger first, then the barrier's tag
    await wait_state(hub, "text.scada_led", "冀B60006 国六 请通行")
    assert await scada.get("LED.Text") == "冀B60006 国六 请通行"

    # On the weighbridge: the SCADA's weight settles at 31 260 kg (in 10 kg counts).
    stable = asyncio.ensure_future(hub.bus.async_wait_for(EVENT_WEIGHT_STABLE, None, 10))
    for counts in (1200, 2800, 3125, 3126):  # driving on, then standing still
        await scada.set("WB.Weight", counts)
        await wait_state(hub, "sensor.scada_weight", str(counts * 10))
    await stable
    assert [(w["gate"], w["lane"], w["weight_kg"]) for w in weights] == [("west", "in", 31255)]

    # The truck drives off the loop: passed; the PLC brings the arm down behind it: closed.
    await scada.set("WB.Weight", 0)
    await scada.set("Loop", False)
    await wait_lifecycle(hub, "west_in", "closed")
    assert scada.commands == [1, 2]
    await hub.async_block_till_done()

    # The ledger: the passage, its arrival, opening, passing, closing and the joined weight.
    rows = await records(hub, passage_id)
    assert rows[0]["kind"] == "passage" and rows[0]["plate"] == "冀B60006" and rows[0]["confidence"] == 0.96
    assert lifecycle(rows) == ["arrived", "opening", "passed", "closed"]
    [weight] = [r for r in rows if r["kind"] == "weight"]
    assert weight["weight_kg"] == 31255

    # Our OPC UA server shows the lane's last passage.
    await hub.auth.async_add_user("inspector1", PASSWORD, frozenset({"inspector"}))
    await hub.data["opcua"].server.users.async_refresh()
    async with connect(hub, "inspector1") as client:
        assert await (await node(client, "west.in.decision.passage_id")).read_value() == passage_id
        assert await (await node(client, "west.in.decision.value")).read_value() == "allow"

    # The HMI draws the lane with the SCADA's barrier and the other system's plate.
    async with aiohttp.ClientSession() as http:
        base = hub.data["ui"].url
        async with http.post(
            f"{base}/api/auth/token", json={"username": "inspector1", "password": PASSWORD}
        ) as response:
            token = (await response.json())["access_token"]
        async with http.get(f"{base}/api/lanes", headers={"Authorization": f"Bearer {token}"}) as response:
            lanes = {lane["key"]: lane for lane in (await response.json())["lanes"]}
    assert lanes["west_in"]["entities"]["barrier"] == "cover.scada_barrier"
    assert lanes["west_in"]["states"]["barrier"]["state"] == "closed"
    assert lanes["west_in"]["entities"]["plate"] == "sensor.lpr_west_in_plate"

    # The platform has the passage and its weight.
    await platform.wait_for(lambda: passage_id in platform.received["passage"])
    sent = platform.received["passage"][passage_id]
    assert sent["plateNo"] == "冀B60006" and sent["gateCode"] == "west" and sent["direction"] == 1
    updates = platform.received["update"]
    await platform.wait_for(lambda: any(u["passageId"] == passage_id for u in updates.values()))
    [update] = [u for u in updates.values() if u["passageId"] == passage_id]
    assert update["weightT"] == 31.3
