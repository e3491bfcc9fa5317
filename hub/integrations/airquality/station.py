"""A microstation's latest record, whichever door brought it, and whether it is heard from."""

from __future__ import annotations

import logging
from datetime import datetime

from hub.core import Hub
from hub.core.coordinator import DataUpdateCoordinator, UpdateFailed
from hub.core.events import AirQualityData

from .config import Station
from .const import EVENT_AIR_QUALITY_DATA

_LOGGER = logging.getLogger(__name__)


class StationData:
    """Latest value and flag per factor key; `online` while the last record is younger than the
    station's `silence_seconds` on the monotonic clock. Its sensors follow it through a pushed
    coordinator, which logs a silence once and the station's return."""

    def __init__(self, hub: Hub, conf: Station) -> None:
        self.hub = hub
        self.conf = conf
        self.key = conf.key
        self.values: dict[str, float] = {}
        self.flags: dict[str, str] = {}
        self.data_time: datetime | None = None
        self.kind: str | None = None
        self._heard: float | None = None
        self.coordinator: DataUpdateCoordinator[datetime | None] = DataUpdateCoordinator(
            hub, _LOGGER, name=f"Microstation {self.name}"
        )

    @property
    def name(self) -> str:
        return self.conf.name or self.conf.key

    @property
    def online(self) -> bool:
        return self.coordinator.last_update_success

    def async_record(
        self, kind: str, data_time: datetime | None, values: dict[str, tuple[float, str]], source: str
    ) -> None:
        """A record arrived (values by factor key); entities follow, and one event tells the rest."""
        self._heard = self.hub.clock.monotonic()
        at = data_time or self.hub.now()
        # Minute/hour averages describe the past: they do not overwrite a newer real-time value.
        if kind == "realtime" or self.data_time is None or at >= self.data_time:
            for key, (value, flag) in values.items():
                self.values[key], self.flags[key] = value, flag
            self.data_time, self.kind = at, kind
        self.hub.bus.async_fire(
            EVENT_AIR_QUALITY_DATA,
            AirQualityData(
                station=self.key,
                name=self.name,
                mn=self.conf.mn,
                source=source,
                kind=kind,
                data_time=at.isoformat(),
                values={k: v for k, (v, _) in values.items()},
                flags={k: f for k, (_, f) in values.items()},
            ),
        )
        self.coordinator.async_set_updated_data(self.data_time)

    def async_check_silence(self) -> None:
        if self.online and self._heard is not None:
            if self.hub.clock.monotonic() - self._heard >= self.conf.silence_seconds:
                silence = self.conf.silence_seconds
                self.coordinator.async_set_update_error(UpdateFailed(f"nothing heard for {silence:g} s"))
