"""Reading tags of a plant OPC UA server (a second asyncua server started here) as entities."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from asyncua import Server, ua

from hub.core import ConfigError
from tests.common import wait_state

PLC_URI = "urn:test:plc"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PlantPlc:
    """A plant's OPC UA server with a weighbridge reading, a loop detector and a status text."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.server: Server | None = None
        self.nodes: dict[str, Any] = {}

    async def start(self, weight: int = 312505, loop: bool = False) -> None:
        server = Server()
        await server.init()
        server.set_endpoint(f"opc.tcp://127.0.0.1:{self.port}/plc")
        server.set_security_policy([ua.SecurityPolicyType.NoSecurity])
        idx = await server.register_namespace(PLC_URI)
        folder = await server.nodes.objects.add_folder(ua.NodeId("PLC", idx), "PLC")
        for name, value, vtype in (
            ("WB1.Weight", weight, ua.VariantType.Int32),  # in 0.1 kg
            ("Loop1", loop, ua.VariantType.Boolean),
            ("Status", "RUN", ua.VariantType.String),
        ):
            self.nodes[name] = await folder.add_variable(ua.NodeId(name, idx), name, value, varianttype=vtype)
        await server.start()
        self.server = server

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop()
            self.server = None


@pytest.fixture
async def plc() -> Any:
    plant = PlantPlc(free_port())
    await plant.start()
    yield plant
    await plant.stop()


def hub_yaml(port: int) -> str:
    return f"""\
hub: {{}}
opcua:
  server: false
  clients:
    - name: plant_plc
      url: opc.tcp://127.0.0.1:{port}/plc
      publishing_interval: 0.05
      watchdog_seconds: 0.2
      timeout: 1
      tags:
        - {{node_id: "ns=2;s=WB1.Weight", key: west_gate_main_scada_weight, name: 西门地磅,
           unit_of_measurement: kg, device_class: weight, scale: 0.1, precision: 1}}
        - {{node_id: "nsu={PLC_URI};s=Loop1", key: west_gate_main_loop, platform: binary_sensor}}
        - {{node_id: "ns=2;s=Status", key: plc_status}}
        - {{node_id: "ns=2;s=Missing", key: plc_missing}}
"""


async def test_tags_follow_the_plant_server_and_survive_its_restart(make_hub, plc) -> None:
    hub = await make_hub(hub_yaml(plc.port))
    assert "opcua" in hub.loaded, hub.setup_errors
    await wait_state(hub, "binary_sensor.opcua_plant_plc_connected", "on")
    await wait_state(hub, "sensor.west_gate_main_scada_weight", "31250.5")
    await wait_state(hub, "binary_sensor.west_gate_main_loop", "off")
    await wait_state(hub, "sensor.plc_status", "RUN")
    weight = hub.states.get("sensor.west_gate_main_scada_weight")
    assert weight.attributes["unit_of_measurement"] == "kg"
    assert weight.attributes["node_id"] == "ns=2;s=WB1.Weight"
    missing = hub.states.get("sensor.plc_missing")
    assert missing.state == "unavailable" and missing.attributes["status"] == "BadNodeIdUnknown"

    await plc.nodes["WB1.Weight"].write_value(ua.Variant(400000, ua.VariantType.Int32))
    await plc.nodes["Loop1"].write_value(True)
    await wait_state(hub, "sensor.west_gate_main_scada_weight", "40000.0")
    await wait_state(hub, "binary_sensor.west_gate_main_loop", "on")

    await plc.stop()  # the plant server goes away: its tags become unavailable
    await wait_state(hub, "binary_sensor.opcua_plant_plc_connected", "off")
    await wait_state(hub, "sensor.west_gate_main_scada_weight", "unavailable")
    await wait_state(hub, "binary_sensor.west_gate_main_loop", "unavailable")
    assert hub.states.get("binary_sensor.opcua_plant_plc_connected").attributes["last_error"]

    await plc.start(weight=10000, loop=False)  # back: reconnected and subscribed again
    await wait_state(hub, "binary_sensor.opcua_plant_plc_connected", "on", timeout=15)
    await wait_state(hub, "sensor.west_gate_main_scada_weight", "1000.0")
    await wait_state(hub, "binary_sensor.west_gate_main_loop", "off")


async def test_a_server_that_is_not_there_leaves_the_tags_unavailable(make_hub) -> None:
    hub = await make_hub(hub_yaml(free_port()))
    assert "opcua" in hub.loaded, hub.setup_errors
    assert hub.states.get("sensor.west_gate_main_scada_weight").state == "unavailable"
    assert hub.states.get("binary_sensor.opcua_plant_plc_connected").state == "off"
    await hub.bus.async_wait_for(
        "state_changed",
        lambda e: e.data["entity_id"] == "binary_sensor.opcua_plant_plc_connected"
        and e.data["new_state"].attributes.get("last_error"),
        5,
    )  # fmt: skip


async def test_a_bad_node_id_is_a_configuration_error_naming_the_line(make_hub) -> None:
    text = hub_yaml(4840).replace('"ns=2;s=Status"', '"ns=x;q=Status"')
    with pytest.raises(ConfigError, match=r"configuration.yaml:\d+: opcua.clients\[0\].tags\[2\].node_id"):
        await make_hub(text)
