"""`binary_sensor.<key>`: a coil, a discrete input, or one bit of a register (a loop detector's output)."""

from __future__ import annotations

from hub.core.const import STATE_OFF, STATE_ON
from hub.util.modbus import ModbusConnection

from .entity import ModbusEntity


class ModbusBinarySensor(ModbusEntity):
    domain = "binary_sensor"

    @property
    def state(self) -> str | None:
        if self.value is None:
            return None
        return STATE_ON if self.value != self.conf.invert else STATE_OFF

    async def async_read(self, connection: ModbusConnection) -> bool:
        c = self.conf
        if c.table in ("coils", "discrete_inputs"):
            return (await connection.async_read_bits(c.table, c.address, 1, self.unit))[0]
        [word] = await connection.async_read_registers(c.table, c.address, 1, self.unit)
        return bool(word >> (c.bit or 0) & 1) if c.bit is not None else word != 0
