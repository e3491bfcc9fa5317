"""`cover.<key>`: a barrier a PLC moves; a command register (or open and close coils) written, a status
register read. The state is what the status says, never the command."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import HubError
from hub.util.modbus import ModbusConnection

from .entity import ModbusEntity


class ModbusCover(ModbusEntity):
    domain = "cover"
    _last: int | None = None
    _rising = True

    @property
    def state(self) -> str | None:
        if self.value is None:
            return None
        if self.conf.states is not None:
            return self.conf.states.get(self.value)
        if self.value <= 0:
            return "closed"
        if self.value >= 100:
            return "open"
        return "opening" if self._rising else "closing"

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        extra = {"current_position": self.value} if self.conf.states is None else {}
        return {**super().extra_state_attributes, **extra}

    async def async_read(self, connection: ModbusConnection) -> int:
        c = self.conf
        [word] = await connection.async_read_registers(c.status_table, c.status_address, 1, self.unit)
        if self._last is not None and word != self._last:
            self._rising = word > self._last
        self._last = word
        return word

    async def _async_command(self, value: int | None, coil: int | None, what: str) -> None:
        """Write the command; a command register is read back (the PLC may clear it once it acted,
        so 0 counts as taken too). Open and close coils are pulses the PLC clears itself."""
        c = self.conf
        unit = self.unit

        async def write(conn: ModbusConnection) -> None:
            if c.command_table == "coils":
                await conn.async_write_coil(coil if coil is not None else c.command_address, True, unit)
                return
            await conn.async_write_registers(c.command_address, [value or 0], unit)
            [back] = await conn.async_read_registers("holding_registers", c.command_address, 1, unit)
            if back not in (value, 0):
                raise HubError(f"{self.entity_id}: wrote {what} ({value}), reads back {back}: not confirmed")

        if c.command_table == "coils" or value is not None:
            await self.async_write(what, write)

    async def async_open_cover(self) -> None:
        self._rising = True
        await self._async_command(self.conf.command_open, self.conf.command_address, "open")

    async def async_close_cover(self) -> None:
        self._rising = False
        await self._async_command(self.conf.command_close, self.conf.close_address, "close")

    async def async_stop_cover(self) -> None:
        if self.conf.command_table == "holding_registers":
            await self._async_command(self.conf.command_stop, None, "stop")
