"""`text.<key>`: an LED display's text in holding registers (GB2312, two bytes a register)."""

from __future__ import annotations

from hub.core import HubError
from hub.util.modbus import ModbusConnection
from hub.util.registers import encode_text, pack_registers, unpack_registers

from .entity import ModbusEntity


class ModbusText(ModbusEntity):
    domain = "text"

    @property
    def state(self) -> str | None:
        return self.value

    async def async_read(self, connection: ModbusConnection) -> str:
        c = self.conf
        words = await connection.async_read_registers("holding_registers", c.address, c.registers, self.unit)
        return unpack_registers(words, c.byte_order).decode(c.encoding, errors="replace")

    async def async_set_value(self, value: str) -> None:
        c = self.conf
        try:
            data, _truncated = encode_text(value, c.encoding, c.registers * 2)
        except UnicodeEncodeError as err:
            raise HubError(
                f"{self.entity_id}: {err.object[err.start : err.end]!r} is not in {c.encoding}"
            ) from None
        words = pack_registers(data, c.registers, c.byte_order)
        await self.async_write(
            f"{value!r}", lambda conn: conn.async_write_registers(c.address, words, self.unit)
        )
        self.confirm(f"{value!r}", data.decode(c.encoding))
