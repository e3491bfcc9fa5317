"""A microstation's latest record, whichever door brought it, and whether it is heard from."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hub.core import Hub

from .config import Station
from .const import EVENT_AIR_QUALITY_DATA


class StationData:
    """Latest value and flag per factor key; `online` while the last record is younger than the
    station's `silence_seconds` on the monotonic clock."""

    def __init__(self, hub: Hub, conf: Station) -> None:
        self.hub = hub
        self.conf = conf
        self.key = conf.key
        self.values: dict[str, float] = {}
        self.flags: dict[str, str] = {}
        self.data_time: datetime | None = None
        self.kind: str | None = None
        self._heard: float | None = None
        self._online = False
        self._listeners: list[Callable[[], None]] = []

    @property
    def name(self) -> str:
        return self.conf.name or self.conf.key

    @property
    def online(self) -> bool:
        return self._online

    def async_add_listener(self, listener: Callable[[], None]) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener) if listener in self._listeners else None

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    def async_record(
        self, kind: str, data_time: datetime | None, values: dict[str, tuple[float, str]], source: str
    ) -> None:
        """A record arrived (values by factor key); entities follow, and one event tells the rest."""
        self._heard = self.hub.clock.monotonic()
        self._online = True
        at = data_time or self.hub.now()
        # Minute/hour averages describe the past: they do not overwrite a newer real-time value.
        if kind == "realtime" or self.data_time is None or at >= self.data_time:
            for key, (value, flag) in values.items():
                self.values[key], self.flags[key] = value, flag
            self.data_time, self.kind = at, kind
        self.hub.bus.async_fire(
            EVENT_AIR_QUALITY_DATA,
            {
                "station": self.key,
                "name": self.name,
                "mn": self.conf.mn,
                "source": source,
                "kind": kind,
                "data_time": at.isoformat(),
                "values": {k: v for k, (v, _) in values.items()},
                "flags": {k: f for k, (_, f) in values.items()},
            },
        )
        self._notify()

    def async_check_silence(self) -> None:
        if self._online and self._heard is not None:
            if self.hub.clock.monotonic() - self._heard >= self.conf.silence_seconds:
                self._online = False
                self._notify()
