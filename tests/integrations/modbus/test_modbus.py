"""The generic Modbus integration against pymodbus devices on free loopback ports: Modbus TCP, RTU over a
TCP gateway, and a serial RTU line (pyserial's socket:// URL to the same RTU server)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from hub.core import HubError
from hub.util.modbus import ModbusDeviceServer, RegisterTables
from hub.util.registers import encode_number, unpack_registers
from tests.common import wait_state


class FogCannonPlc:
    """A PLC: weight (float32, input registers 0-1), a loop bit (discrete input 3), a run coil (5),
    a rate set point (holding 10, 0.1 units), a barrier command (holding 20) and position (holding 21),
    an LED text (holding 30.., 8 registers). A barrier command moves the arm at once to its end."""

    def __init__(self, rtu: bool = False) -> None:
        self.tables = RegisterTables(size=64)
        self.server = ModbusDeviceServer(self.tables, on_write=self._on_write, rtu=rtu)
        self.tables.input_registers[0:2] = encode_number(31250.0, "float32")
        self.commands: list[int] = []

    def _on_write(self, table: str, address: int, values: list[Any]) -> None:
        if table == "holding_registers" and address == 20 and values[0] in (1, 2):
            self.commands.append(values[0])
            self.tables.holding_registers[21] = 100 if values[0] == 1 else 0
        if table == "coils" and address in (40, 41) and values[0]:  # open and close coils, pulsed
            self.commands.append(address)
            self.tables.coils[address] = False
            self.tables.holding_registers[22] = 2 if address == 40 else 0

    async def start(self) -> int:
        return await self.server.async_start()


def device_yaml(transport: str, where: str, scan: float = 0.05) -> str:
    return f"""\
hub: {{}}
modbus:
  devices:
    - name: fog_plc
      transport: {transport}
      {where}
      timeout: 0.5
      scan_seconds: {scan}
      sensors:
        - {{key: wb_weight, table: input_registers, address: 0, data_type: float32, unit_of_measurement: kg,
            device_class: weight, precision: 0}}
      binary_sensors:
        - {{key: lane_loop, table: discrete_inputs, address: 3}}
      switches:
        - {{key: fog_run, address: 5}}
      numbers:
        - {{key: fog_rate, address: 10, scale: 0.1, minimum: 0, maximum: 50}}
      covers:
        - {{key: north_barrier, command_address: 20, status_address: 21}}
      texts:
        - {{key: north_led, address: 30, registers: 8}}
"""


@pytest.fixture
async def plc() -> Any:
    device = FogCannonPlc()
    await device.start()
    yield device
    await device.server.async_stop()


async def test_entities_follow_the_registers_and_writes_are_read_back(make_hub, plc) -> None:
    hub = await make_hub(device_yaml("tcp", f"port: {plc.server.port}"))
    assert "modbus" in hub.loaded, hub.setup_errors
    await wait_state(hub, "sensor.wb_weight", "31250")
    assert hub.states.get("sensor.wb_weight").attributes["unit_of_measurement"] == "kg"
    await wait_state(hub, "binary_sensor.lane_loop", "off")
    plc.tables.discrete_inputs[3] = True
    await wait_state(hub, "binary_sensor.lane_loop", "on")
    call = hub.services.async_call

    await call("switch", "turn_on", {"entity_id": "switch.fog_run"})
    assert plc.tables.coils[5] is True and hub.states.get("switch.fog_run").state == "on"
    await call("number", "set_value", {"entity_id": "number.fog_rate", "value": 12.3})
    assert plc.tables.holding_registers[10] == 123 and hub.states.get("number.fog_rate").state == "12.3"
    with pytest.raises(HubError, match="outside"):
        await call("number", "set_value", {"entity_id": "number.fog_rate", "value": 60})
    await call("text", "set_value", {"entity_id": "text.north_led", "value": "冀B12345 请通行"})
    assert (
        unpack_registers(plc.tables.holding_registers[30:38], "high_first").decode("gb2312")
        == "冀B12345 请通行"
    )
    assert hub.states.get("text.north_led").state == "冀B12345 请通行"
    await call("cover", "open_cover", {"entity_id": "cover.north_barrier"})
    assert hub.states.get("cover.north_barrier").state == "open" and plc.commands == [1]
    await call("cover", "close_cover", {"entity_id": "cover.north_barrier"})
    assert hub.states.get("cover.north_barrier").state == "closed" and plc.commands == [1, 2]


async def test_a_device_that_stops_answering_is_loud_once_then_quiet_and_comes_back(
    make_hub, plc, caplog
) -> None:
    hub = await make_hub(device_yaml("tcp", f"port: {plc.server.port}"))
    await wait_state(hub, "sensor.wb_weight", "31250")
    caplog.set_level(logging.DEBUG, logger="hub.integrations.modbus")
    plc.server.answering = False
    await wait_state(hub, "sensor.wb_weight", "unavailable")
    await wait_state(hub, "switch.fog_run", "unavailable")
    with pytest.raises(HubError, match="not answering"):
        await hub.services.async_call("switch", "turn_on", {"entity_id": "switch.fog_run"})
    plc.server.answering = True
    await wait_state(hub, "sensor.wb_weight", "31250", timeout=10)
    warnings = [
        r
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "hub.integrations.modbus.device"
    ]
    assert len(warnings) == 1 and "retrying" in warnings[0].getMessage()
    assert any("answering again" in r.getMessage() for r in caplog.records)


async def test_a_refused_register_takes_only_its_own_entity_away(make_hub, plc) -> None:
    text = device_yaml("tcp", f"port: {plc.server.port}").replace("address: 3}", "address: 500}")
    hub = await make_hub(text)
    await wait_state(hub, "sensor.wb_weight", "31250")
    await wait_state(hub, "binary_sensor.lane_loop", "unavailable")
    assert hub.states.get("switch.fog_run").state == "off"


async def test_a_cover_on_an_open_and_a_close_coil_with_a_status_word(make_hub, plc) -> None:
    text = device_yaml("tcp", f"port: {plc.server.port}").replace(
        "        - {key: north_barrier, command_address: 20, status_address: 21}",
        "        - {key: north_barrier, command_table: coils, command_address: 40, close_address: 41,\n"
        "           status_address: 22, states: {0: closed, 1: opening, 2: open, 3: closing}}",
    )
    hub = await make_hub(text)
    await wait_state(hub, "cover.north_barrier", "closed")
    await hub.services.async_call("cover", "open_cover", {"entity_id": "cover.north_barrier"})
    await wait_state(hub, "cover.north_barrier", "open")
    await hub.services.async_call("cover", "close_cover", {"entity_id": "cover.north_barrier"})
    await wait_state(hub, "cover.north_barrier", "closed")
    assert plc.commands == [40, 41]


@pytest.mark.parametrize("transport", ["rtuovertcp", "serial"])
async def test_rtu_over_a_gateway_and_on_a_serial_line(make_hub, transport) -> None:
    plc = FogCannonPlc(rtu=True)
    port = await plc.start()
    try:
        where = f"port: {port}" if transport == "rtuovertcp" else f"device: socket://127.0.0.1:{port}"
        hub = await make_hub(device_yaml(transport, where))
        assert "modbus" in hub.loaded, hub.setup_errors
        await wait_state(hub, "sensor.wb_weight", "31250")
        await hub.services.async_call("number", "set_value", {"entity_id": "number.fog_rate", "value": 4.5})
        assert plc.tables.holding_registers[10] == 45
    finally:
        await plc.server.async_stop()
