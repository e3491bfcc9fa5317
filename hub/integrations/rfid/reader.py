"""One reader's connection: reads its stream, keeps the last tag, and reports garbage once a spell.

The reader talks first (active mode / TCP client output): the hub only listens. The connection is
kept with exponential backoff (on the hub's clock). A reader says nothing while no tag is in its field,
so silence is no fault; a closed connection or a failed connect is. Its entity follows it through a
pushed coordinator (hub/core/coordinator.py), which logs an outage's first failure and the recovery.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from hub.core import Hub
from hub.core.coordinator import DataUpdateCoordinator, UpdateFailed

from .config import Reader
from .const import BACKOFF_FIRST, BACKOFF_MAX, GARBLE_LOG_SECONDS
from .protocol import FrameParser, Garbled, LineParser, TagRead

_LOGGER = logging.getLogger(__name__)


class RfidReader:
    def __init__(self, hub: Hub, conf: Reader, host: str, port: int | None) -> None:
        self.hub = hub
        self.conf = conf
        self.name = conf.name
        self.host, self.port = host, port
        # Pushed: connected = available; a new tag tells the entity.
        self.coordinator: DataUpdateCoordinator[TagRead | None] = DataUpdateCoordinator(
            hub, _LOGGER, name=f"RFID reader {conf.name} ({self.where})"
        )
        self.last: TagRead | None = None
        self.read_at: datetime | None = None
        self.reads = 0
        self.garbled = 0
        self._seen_at: float | None = None  # monotonic time the last tag was last seen
        self._garble_logged_at: float | None = None
        self._garbled_since_log = 0
        self._backoff = BACKOFF_FIRST

    @property
    def where(self) -> str:
        return str(self.conf.device) if self.conf.source == "serial" else f"{self.host}:{self.port}"

    @property
    def online(self) -> bool:
        """Connected to the reader."""
        return self.coordinator.last_update_success

    async def async_run(self) -> None:
        while True:
            try:
                await self._async_run_stream()
            except (OSError, TimeoutError, ConnectionError, EOFError) as err:
                text = str(err) or type(err).__name__
                self.coordinator.async_set_update_error(UpdateFailed(f"not connected: {text}"))
            await self.hub.clock.async_sleep(self._backoff)
            self._backoff = min(self._backoff * 2, BACKOFF_MAX)

    async def _async_open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.conf.source == "serial":
            import serial_asyncio_fast  # only sites with a serial reader need it loaded

            s = self.conf.serial
            return await serial_asyncio_fast.open_serial_connection(
                url=self.conf.device, baudrate=s.baudrate, bytesize=s.bytesize, parity=s.parity,
                stopbits=s.stopbits,
            )  # fmt: skip
        async with asyncio.timeout(self.conf.timeout):
            return await asyncio.open_connection(self.host, self.port)

    async def _async_run_stream(self) -> None:
        reader, writer = await self._async_open()
        self._backoff = BACKOFF_FIRST
        self.coordinator.async_set_updated_data(self.last)  # connected: available (again)
        parser = FrameParser() if self.conf.protocol == "frame" else LineParser()
        try:
            while True:
                data = await reader.read(1024)
                if not data:
                    raise EOFError("connection closed by the reader")
                for item in parser.feed(data):
                    if isinstance(item, TagRead):
                        self._on_tag(item)
                    else:
                        self._on_garbled(item)
        finally:
            writer.close()

    def _on_tag(self, read: TagRead) -> None:
        now = self.hub.clock.monotonic()
        self.reads += 1
        repeat = (
            self.last is not None and read.tag == self.last.tag and self._seen_at is not None
            and now - self._seen_at < self.conf.repeat_seconds
        )  # fmt: skip
        self._seen_at = now
        if repeat:
            return  # the same tag still in the field: the same vehicle
        self.last, self.read_at = read, self.hub.now()
        self.coordinator.async_set_updated_data(read)

    def _on_garbled(self, item: Garbled) -> None:
        """Logged with what came (hex) the first time, then summed up; the connection stays."""
        self.garbled += 1
        now = self.hub.clock.monotonic()
        if self._garble_logged_at is None or now - self._garble_logged_at >= GARBLE_LOG_SECONDS:
            more = (
                f" ({self._garbled_since_log} more since the last report)" if self._garbled_since_log else ""
            )
            _LOGGER.warning(
                "RFID reader %s (%s, %s protocol): ignored data that is no tag read: %s; bytes %s%s",
                self.name, self.where, self.conf.protocol, item.reason, item.data.hex(" "), more,
            )  # fmt: skip
            self._garble_logged_at, self._garbled_since_log = now, 0
        else:
            self._garbled_since_log += 1
