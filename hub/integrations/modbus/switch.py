"""`switch.<key>`: a coil, or a holding register with on and off values; each write read back."""

from __future__ import annotations

from hub.core.const import STATE_OFF, STATE_ON
from hub.util.modbus import ModbusConnection

from .entity import ModbusEntity


class ModbusSwitch(ModbusEntity):
    domain = "switch"

    @property
    def state(self) -> str | None:
        if self.value is None:
            return None
        if self.conf.table == "coils":
            return STATE_ON if self.value else STATE_OFF
        if self.value == self.conf.command_on:
            return STATE_ON
        return STATE_OFF if self.value == self.conf.command_off else None

    async def async_read(self, connection: ModbusConnection) -> int | bool:
        c = self.conf
        if c.table == "coils":
            return (await connection.async_read_bits("coils", c.address, 1, self.unit))[0]
        return (await connection.async_read_registers("holding_registers", c.address, 1, self.unit))[0]

    async def _async_set(self, on: bool) -> None:
        c = self.conf
        if c.table == "coils":
            await self.async_write(f"coil {c.address}={int(on)}",
                                   lambda conn: conn.async_write_coil(c.address, on, self.unit))  # fmt: skip
            self.confirm(f"coil {c.address}={int(on)}", on)
            return
        value = c.command_on if on else c.command_off
        what = f"register {c.address}={value}"
        await self.async_write(what, lambda conn: conn.async_write_registers(c.address, [value], self.unit))
        self.confirm(f"register {c.address}={value}", value)

    async def async_turn_on(self) -> None:
        await self._async_set(True)

    async def async_turn_off(self) -> None:
        await self._async_set(False)
