"""Stations and remote-sensing units that push JSON (HTTP or MQTT): one reader for both doors."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter, ValidationError

from hub.core import Hub
from hub.core.validation import PlausibleDatetime

from .badinput import BadInputLog
from .fieldmap import FieldMapError, load_document, lookup, parse_path, read_numbers
from .remote import RemoteSensingData
from .station import StationData

_LOGGER = logging.getLogger(__name__)
_TIME = TypeAdapter(PlausibleDatetime)


class StationFieldMap:
    """A pushing station's document -> its values by factor key (flag N) and its data time."""

    def __init__(self, station: StationData) -> None:
        self.station = station
        self.paths = {key: parse_path(path) for key, path in station.conf.fields.items()}
        self.time_path = parse_path(station.conf.time_field) if station.conf.time_field else None

    def ingest(self, document: Mapping[str, Any], source: str) -> None:
        values = read_numbers(document, self.paths)
        at: datetime | None = None
        if self.time_path is not None and (raw := lookup(document, self.time_path)) is not None:
            try:
                at = _TIME.validate_python(raw)
            except ValidationError:
                raise FieldMapError(f"time: {str(raw)[:30]!r} is not a plausible date and time") from None
            if at.tzinfo is None:
                at = at.replace(tzinfo=self.station.hub.clock.tz)
        self.station.async_record("realtime", at, {k: (v, "N") for k, v in values.items()}, source)


class MqttDoor:
    """Subscribes each MQTT station and unit through the mqtt integration once the hub runs."""

    def __init__(self, hub: Hub, stations: list[StationFieldMap], units: list[RemoteSensingData]) -> None:
        self.hub = hub
        self.stations = [s for s in stations if s.station.conf.source == "mqtt"]
        self.units = [u for u in units if u.conf.source == "mqtt"]
        self.bad = BadInputLog(_LOGGER, "MQTT air-quality message", hub.clock.monotonic)
        self.unsubs: list[Any] = []

    @property
    def wanted(self) -> bool:
        return bool(self.stations or self.units)

    def async_subscribe(self) -> None:
        client = self.hub.data.get("mqtt")
        subscribe = getattr(client, "async_subscribe", None)
        if subscribe is None:
            _LOGGER.error("airquality: MQTT stations and units need the mqtt integration configured")
            return
        for fmap in self.stations:
            assert fmap.station.conf.topic is not None
            ingest = functools.partial(fmap.ingest, source="mqtt")
            self.unsubs.append(
                subscribe(fmap.station.conf.topic, self._handler(ingest, f"station {fmap.station.key}"))
            )
        for unit in self.units:
            assert unit.conf.topic is not None
            self.unsubs.append(
                subscribe(
                    unit.conf.topic, self._handler(unit.async_ingest, f"remote-sensing unit {unit.key}")
                )
            )

    def _handler(
        self, ingest: Callable[[dict[str, Any]], object], who: str
    ) -> Callable[[str, bytes, bool], None]:
        def on_message(topic: str, payload: bytes, retained: bool) -> None:
            if retained:
                return  # an old value kept by the broker is not a station speaking now
            try:
                ingest(load_document(payload))
            except FieldMapError as err:
                self.bad.refused(f"topic {topic} ({who})", str(err))

        return on_message

    def async_stop(self) -> None:
        for unsub in self.unsubs:
            unsub()
        self.unsubs.clear()
