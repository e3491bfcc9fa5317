"""`sensor.<key>`: a number in one or two registers (scaled: value * scale + offset)."""

from __future__ import annotations

from hub.util.modbus import ModbusConnection

from .entity import ModbusEntity, number_text, read_number


class ModbusSensor(ModbusEntity):
    domain = "sensor"

    @property
    def state(self) -> str | None:
        return number_text(self.conf, self.value)

    async def async_read(self, connection: ModbusConnection) -> float:
        return await read_number(connection, self.conf, self.unit)
