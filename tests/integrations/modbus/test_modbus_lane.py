"""A lane on a PLC's registers: the loop, the barrier and the weighbridge weight are Modbus entities,
the plates come from another camera system's sensor. Nothing in the policy knows it is Modbus."""

from __future__ import annotations

import asyncio
from typing import Any

from hub.core.const import EVENT_GATE_DECISION, EVENT_WEIGHT_STABLE
from hub.util.registers import encode_number
from tests.common import wait_state
from tests.components.policy.conftest import lifecycle, records, seed
from tests.integrations.modbus.test_modbus import FogCannonPlc


def lane_yaml(port: int) -> str:
    return f"""\
hub: {{name: 模拟PLC厂}}
ledger: {{}}
vehicles: {{}}
policy:
  grade: B
  lanes:
    - {{gate: north, lane: in, plate: sensor.lpr_plate, presence: binary_sensor.lane_loop,
       barrier: cover.north_barrier, weight: sensor.wb_weight, stable: {{seconds: 0.3}}}}
modbus:
  devices:
    - name: gate_plc
      port: {port}
      timeout: 0.5
      scan_seconds: 0.05
      sensors:
        - {{key: wb_weight, table: input_registers, address: 0, data_type: float32, precision: 0}}
      binary_sensors:
        - {{key: lane_loop, table: discrete_inputs, address: 3}}
      covers:
        - {{key: north_barrier, command_address: 20, status_address: 21}}
"""


async def test_a_lane_on_modbus_registers(make_hub) -> None:
    plc = FogCannonPlc()
    plc.tables.input_registers[0:2] = encode_number(0.0, "float32")
    await plc.start()
    try:
        hub = await make_hub(lane_yaml(plc.server.port))
        assert {"policy", "modbus"} <= set(hub.loaded), hub.setup_errors
        await seed(hub)
        await wait_state(hub, "cover.north_barrier", "closed")
        hub.states.async_set("sensor.lpr_plate", "unknown", {})

        plc.tables.discrete_inputs[3] = True  # a truck on the loop
        await wait_state(hub, "binary_sensor.lane_loop", "on")
        decided = asyncio.ensure_future(hub.bus.async_wait_for(EVENT_GATE_DECISION, None, 10))
        await asyncio.sleep(0)
        hub.states.async_set("sensor.lpr_plate", "冀B60006", {"colour": "yellow", "confidence": 0.95})
        decision: dict[str, Any] = dict((await decided).data)
        assert decision["decision"] == "allow"
        await wait_state(hub, "cover.north_barrier", "open")
        assert plc.commands == [1]

        stable = asyncio.ensure_future(hub.bus.async_wait_for(EVENT_WEIGHT_STABLE, None, 10))
        plc.tables.input_registers[0:2] = encode_number(31250.0, "float32")
        weight = (await stable).data
        assert (weight["lane"], weight["weight_kg"], weight["indicator"]) == ("in", 31250, "sensor.wb_weight")

        plc.tables.input_registers[0:2] = encode_number(0.0, "float32")
        plc.tables.discrete_inputs[3] = False  # off the loop; the PLC lowers the arm
        await wait_state(hub, "binary_sensor.lane_loop", "off")
        plc.tables.holding_registers[21] = 0
        await wait_state(hub, "cover.north_barrier", "closed")
        await hub.async_block_till_done()
        rows = await records(hub, decision["passage_id"])
        assert lifecycle(rows) == ["arrived", "opening", "passed", "closed"]
        assert [r["weight_kg"] for r in rows if r["kind"] == "weight"] == [31250]
    finally:
        await plc.server.async_stop()
