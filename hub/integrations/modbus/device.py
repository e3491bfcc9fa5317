"""One Modbus connection (a TCP device, an RTU gateway, a serial bus) and the entities read through it.

Every `scan_seconds` each entity reads its registers, one request at a time under the connection's
lock (with the bus's quiet time between messages on RTU). HA's discipline when a device stops
answering: the first failure is logged as a warning naming the device, later ones of the same outage
only at debug level, and its return once at info; every entity of it is unavailable meanwhile, and
reconnects wait longer each time up to BACKOFF_MAX. A register the device refuses (a Modbus
exception) makes only its own entity unavailable, logged once until it reads again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from hub.core import DeviceInfo, HubError
from hub.util.modbus import ModbusConnection, ModbusError, ModbusRefused, SerialLine

from .config import DeviceConfig
from .const import BACKOFF_FIRST, BACKOFF_MAX

if TYPE_CHECKING:
    from .entity import ModbusEntity

_LOGGER = logging.getLogger(__name__)


class ModbusDevice:
    def __init__(self, conf: DeviceConfig) -> None:
        self.conf = conf
        s = conf.serial
        self.connection = ModbusConnection(
            (conf.device or "") if conf.transport == "serial" else conf.host,
            conf.port, unit_id=conf.unit_id, timeout=conf.timeout, name=f"modbus {conf.name}",
            transport=conf.transport, message_delay=conf.delay,
            serial=SerialLine(s.baudrate, s.bytesize, s.parity, s.stopbits),
        )  # fmt: skip
        self.info = DeviceInfo(
            identifier=f"modbus:{conf.name}", name=conf.name, model=f"Modbus {conf.transport} {conf.where}"
        )
        self.entities: list[ModbusEntity] = []
        self.online = False
        self.last_error: str | None = None
        self._refused: set[str] = set()  # entities whose registers the device refuses (logged once)

    async def async_run(self) -> None:
        backoff = BACKOFF_FIRST
        while True:
            try:
                if not self.connection.connected:
                    await self.connection.async_connect()
                await self._async_poll_all()
                if not self.online:
                    if self.last_error is not None:
                        _LOGGER.info("Modbus %s (%s): answering again", self.conf.name, self.conf.where)
                    self.online, self.last_error, backoff = True, None, BACKOFF_FIRST
                    self._refresh()
                await asyncio.sleep(self.conf.scan_seconds)
            except ModbusError as err:
                text = str(err)
                if self.online or self.last_error is None:  # the first failure of an outage: loud
                    _LOGGER.warning("Modbus %s (%s): %s (retrying)", self.conf.name, self.conf.where, text)
                else:
                    _LOGGER.debug("Modbus %s: still failing: %s", self.conf.name, text)
                self.online, self.last_error = False, text
                self.connection.close()
                self._refresh()
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)

    async def _async_poll_all(self) -> None:
        for entity in self.entities:
            try:
                await entity.async_poll(self.connection)
            except ModbusRefused as err:
                if entity.key not in self._refused:
                    self._refused.add(entity.key)
                    _LOGGER.warning("Modbus %s: %s: %s", self.conf.name, entity.key, err)
                entity.async_refused()
                continue
            self._refused.discard(entity.key)

    def _refresh(self) -> None:
        for entity in self.entities:
            if entity.entity_id is not None:
                entity.async_write_state()

    async def async_write(
        self, entity: ModbusEntity, what: str, write: Callable[[ModbusConnection], Awaitable[None]]
    ) -> None:
        """Run a write (a coroutine function of the connection), then the entity's read-back."""
        if not self.online:
            raise HubError(f"Modbus {self.conf.name} is not answering: {entity.key} {what} not written")
        try:
            await write(self.connection)
            await entity.async_poll(self.connection)
        except ModbusError as err:
            raise HubError(f"Modbus {self.conf.name}: {entity.key} {what}: {err}") from err
        if entity.entity_id is not None:
            entity.async_write_state()

    def async_stop(self) -> None:
        self.connection.close()
