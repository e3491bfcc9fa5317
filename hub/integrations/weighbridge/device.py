"""One lane's weighbridge: reads the indicator, detects the stable weight, fires `weight_stable`.

Sources: Modbus TCP polling, or the indicator's continuous ASCII output from a serial port or a
TCP serial server. The connection is kept with exponential backoff; no valid weight for `timeout`
seconds counts as "not answering": the entities go unavailable until readings come back. The back-off,
the Modbus scan and the stuck indicator's `stuck_seconds` go by the hub's clock; the read timeouts and
the rate limits of publishing and logging by the event loop's.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from decimal import Decimal

from hub.core import Context, Hub
from hub.core.const import EVENT_WEIGHT_STABLE
from hub.core.coordinator import DataUpdateCoordinator, UpdateFailed
from hub.core.events import WeightStableData
from hub.util.modbus import ModbusConnection, ModbusError

from .config import Weighbridge
from .const import BACKOFF_FIRST, BACKOFF_MAX, GARBLE_LOG_SECONDS, PUBLISH_SECONDS
from .frames import FrameError, FrameParser, FrameReading
from .registers import weight_from_registers
from .stability import StableWeight

_LOGGER = logging.getLogger(__name__)


class NotAnswering(Exception):
    """The indicator sent nothing usable for too long."""


class WeighbridgeReader:
    def __init__(self, hub: Hub, conf: Weighbridge, host: str, port: int | None) -> None:
        self.hub = hub
        self.conf = conf
        self.key = conf.key
        self.host, self.port = host, port
        # The entities follow the reader through it; it logs outages (first failure loud) and recoveries.
        self.coordinator: DataUpdateCoordinator[int | None] = DataUpdateCoordinator(
            hub, _LOGGER, name=f"Weighbridge {self.key} ({self.where})"
        )
        self.weight_kg: int | None = None
        self.steady = False
        self.last_stable_kg: int | None = None
        self.last_stable_at: datetime | None = None
        self.garbled_frames = 0
        self.stuck = False  # a load reading the same for `stuck_seconds`
        self.stuck_kg: float | None = None
        s = conf.stable
        self.detector = StableWeight(s.readings, s.band_kg, s.min_kg, s.zero_kg)
        self._loop = asyncio.get_running_loop()
        self._last_valid = 0.0
        self._reading: float | None = None  # the last reading, and since when it has not changed
        self._reading_since = 0.0
        self._last_publish = 0.0
        self._garbled_since_log = 0
        self._garble_logged_at: float | None = None
        self._modbus: ModbusConnection | None = None

    @property
    def where(self) -> str:
        return f"{self.conf.device}" if self.conf.source == "serial" else f"{self.host}:{self.port}"

    @property
    def online(self) -> bool:
        """The indicator sends valid weights."""
        return self.coordinator.last_update_success

    # ----- the connection loop -----------------------------------------------------------------
    async def async_run(self) -> None:
        self._backoff = BACKOFF_FIRST
        while True:
            try:
                if self.conf.source == "modbus":
                    await self._async_run_modbus()
                else:
                    await self._async_run_stream()
            except (ModbusError, NotAnswering, OSError, TimeoutError, ValueError) as err:
                self.detector.reset()
                self.coordinator.async_set_update_error(UpdateFailed(str(err) or type(err).__name__))
            await self.hub.clock.async_sleep(self._backoff)
            self._backoff = min(self._backoff * 2, BACKOFF_MAX)

    async def _async_run_modbus(self) -> None:
        m = self.conf.modbus
        if self._modbus is None:
            self._modbus = ModbusConnection(
                self.host,
                self.port or 502,
                unit_id=m.unit_id,
                timeout=self.conf.timeout,
                name=f"indicator {self.key}",
            )
        try:
            await self._modbus.async_connect()
            while True:
                words = await self._modbus.async_read_registers(m.table, m.address, 2)
                count = weight_from_registers(words, m.word_order, m.signed)
                self._on_weight(count * m.kg_per_count)
                await self.hub.clock.async_sleep(self.conf.scan_seconds)
        finally:
            self._modbus.close()

    async def _async_open_stream(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.conf.source == "serial":
            import serial_asyncio_fast  # only sites with a serial indicator need it loaded

            s = self.conf.serial
            return await serial_asyncio_fast.open_serial_connection(
                url=self.conf.device,
                baudrate=s.baudrate,
                bytesize=s.bytesize,
                parity=s.parity,
                stopbits=s.stopbits,
            )
        async with asyncio.timeout(self.conf.timeout):
            return await asyncio.open_connection(self.host, self.port)

    async def _async_run_stream(self) -> None:
        reader, writer = await self._async_open_stream()
        parser = FrameParser(self.conf.format)
        self._last_valid = self._loop.time()
        try:
            while True:
                try:
                    async with asyncio.timeout(self.conf.timeout):
                        data = await reader.read(1024)
                except TimeoutError:
                    raise NotAnswering(f"no data for {self.conf.timeout:g} s") from None
                if not data:
                    raise NotAnswering("connection closed by the other end")
                for item in parser.feed(data):
                    if isinstance(item, FrameReading):
                        self._on_weight(float(item.value * (Decimal(1000) if self.conf.unit == "t" else 1)))
                    else:
                        self._on_garbled(item)
                if self._loop.time() - self._last_valid > self.conf.timeout:
                    raise NotAnswering(f"no valid frame in {self.conf.timeout:g} s")
        finally:
            writer.close()

    # ----- readings ----------------------------------------------------------------------------
    def _on_weight(self, kg: float) -> None:
        now = self._loop.time()
        self._last_valid = now
        came_back = not self.online
        if came_back:
            self._backoff = BACKOFF_FIRST
        stuck_changed = self._watch_stuck(kg, self.hub.clock.monotonic())
        stable = self.detector.add(kg)
        steady = self.detector.steady
        weight = round(kg)
        due = now - self._last_publish >= PUBLISH_SECONDS and weight != self.weight_kg
        if came_back or due or stuck_changed or steady != self.steady or stable is not None:
            self.weight_kg, self.steady, self._last_publish = weight, steady, now
            if stable is not None:
                self.weight_kg = stable
                self._fire_stable(stable)
            self.coordinator.async_set_updated_data(self.weight_kg)  # available again if it was not

    def _watch_stuck(self, kg: float, now: float) -> bool:
        """Whether `stuck` changed with this reading."""
        if kg != self._reading:
            self._reading, self._reading_since = kg, now
            if self.stuck:
                _LOGGER.info("Weighbridge %s: the indicator's reading moves again", self.key)
                self.stuck, self.stuck_kg = False, None
                return True
            return False
        if self.stuck or kg <= self.detector.zero_kg or now - self._reading_since < self.conf.stuck_seconds:
            return False
        _LOGGER.warning(
            "Weighbridge %s: the indicator has shown %g kg for %.0f s without a change: stuck? "
            "Weights on this lane are not trustworthy until it moves again",
            self.key, kg, now - self._reading_since,
        )  # fmt: skip
        self.stuck, self.stuck_kg = True, kg
        return True

    def _fire_stable(self, weight_kg: int) -> None:
        at = self.hub.now()
        self.last_stable_kg, self.last_stable_at = weight_kg, at
        _LOGGER.info("Weighbridge %s: stable weight %d kg", self.key, weight_kg)
        self.hub.bus.async_fire(
            EVENT_WEIGHT_STABLE,
            WeightStableData(
                gate=self.conf.gate,
                lane=self.conf.lane,
                weight_kg=weight_kg,
                at=at.isoformat(),
                indicator=self.conf.indicator,
            ),
            Context(),
        )

    def _on_garbled(self, error: FrameError) -> None:
        """Log the first garbled frame at once, then one summary line a minute at most."""
        self.garbled_frames += 1
        now = self._loop.time()
        if self._garble_logged_at is None or now - self._garble_logged_at >= GARBLE_LOG_SECONDS:
            more = (
                f" ({self._garbled_since_log} more since the last report)" if self._garbled_since_log else ""
            )
            _LOGGER.warning(
                "Weighbridge %s: garbled frame from the indicator (%s): %r%s",
                self.key,
                error.reason,
                error.raw,
                more,
            )
            self._garble_logged_at, self._garbled_since_log = now, 0
        else:
            self._garbled_since_log += 1

    def async_stop(self) -> None:
        if self._modbus is not None:
            self._modbus.close()
