"""`number.<key>`: a set point in holding registers (scaled like a sensor), written and read back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import HubError
from hub.util.modbus import ModbusConnection
from hub.util.registers import decode_number

from .entity import ModbusEntity, number_text, number_words, read_number


class ModbusNumber(ModbusEntity):
    domain = "number"

    @property
    def state(self) -> str | None:
        return number_text(self.conf, self.value)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {**super().extra_state_attributes, "min": self.conf.minimum, "max": self.conf.maximum}

    async def async_read(self, connection: ModbusConnection) -> float:
        return await read_number(connection, self.conf, self.unit)

    async def async_set_value(self, value: float) -> None:
        c = self.conf
        if (c.minimum is not None and value < c.minimum) or (c.maximum is not None and value > c.maximum):
            raise HubError(f"{self.entity_id}: {value:g} is outside {c.minimum}..{c.maximum}")
        words = number_words(c, value)
        await self.async_write(
            f"{value:g}", lambda conn: conn.async_write_registers(c.address, words, self.unit)
        )
        # What the registers can hold: 12.34 in an integer of 0.1 steps reads back 12.3.
        self.confirm(f"{value:g}", decode_number(words, c.data_type, c.word_order) * c.scale + c.offset)
