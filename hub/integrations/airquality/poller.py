"""Microstations read over Modbus TCP: each mapped factor's register(s) every `scan_seconds`."""

from __future__ import annotations

import asyncio
import logging

from hub.util.modbus import ModbusConnection, ModbusError
from hub.util.registers import WIDTH, decode_number

from .station import StationData

_LOGGER = logging.getLogger(__name__)
BACKOFF_MAX = 60.0


class ModbusStationPoller:
    def __init__(self, station: StationData) -> None:
        conf = station.conf
        assert conf.port is not None
        self.station = station
        self.connection = ModbusConnection(
            conf.host, conf.port, unit_id=conf.unit_id, timeout=conf.timeout, name=f"microstation {conf.key}"
        )

    async def async_read_once(self) -> dict[str, tuple[float, str]]:
        values: dict[str, tuple[float, str]] = {}
        for key, reg in self.station.conf.registers.items():
            words = await self.connection.async_read_registers(reg.table, reg.address, WIDTH[reg.type])
            raw = decode_number(words, reg.type, reg.word_order)
            values[key] = (round(raw * reg.scale + reg.offset, 6), "N")
        return values

    async def async_run(self) -> None:
        conf = self.station.conf
        backoff = 1.0
        failing = False
        try:
            while True:
                try:
                    if not self.connection.connected:
                        await self.connection.async_connect()
                    values = await self.async_read_once()
                except ModbusError as err:
                    if not failing:
                        _LOGGER.warning("%s; asking again every up to %g s", err, BACKOFF_MAX)
                    failing = True
                    self.connection.close()
                    await asyncio.sleep(backoff)
                    backoff = min(backoff * 2, BACKOFF_MAX)
                    continue
                if failing:
                    _LOGGER.info("Microstation %s answers again", conf.key)
                failing, backoff = False, 1.0
                self.station.async_record("realtime", None, values, "modbus")
                await asyncio.sleep(conf.scan_seconds)
        finally:
            self.connection.close()
