"""Exhaust remote-sensing units (尾气遥感): one reading per passing vehicle, as an event and the last one.

A reading's fields (by name; a unit's own names are mapped in its `fields`): plate, no_ppm, hc_ppm,
co_pct, co2_pct, opacity_pct, ringelmann (林格曼黑度), speed_kmh, accel_ms2, valid, time, reading_id,
lane. Gases as the units report them: NO and HC in ppm, CO and CO2 in %, opacity (不透光度) in %.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

from pydantic import TypeAdapter, ValidationError

from hub.core import Hub
from hub.core.coordinator import DataUpdateCoordinator
from hub.core.events import RemoteSensingReadingData
from hub.core.validation import PlausibleDatetime
from hub.util.plate import normalise_plate

from .config import RS_FIELDS, RemoteSensingUnit
from .const import EVENT_REMOTE_SENSING_READING
from .fieldmap import FieldMapError, lookup, number, parse_path

_LOGGER = logging.getLogger(__name__)
MEASURES = ("no_ppm", "hc_ppm", "co_pct", "co2_pct", "opacity_pct", "ringelmann", "speed_kmh", "accel_ms2")
_TIME = TypeAdapter(PlausibleDatetime)
# What units write where they read no plate; such a reading is joined by lane and time instead.
NO_PLATE = frozenset({"未识别", "无牌", "无车牌", "车牌", "NONE", "NULL", "UNKNOWN", "-", "--"})


class RemoteSensingData:
    def __init__(self, hub: Hub, conf: RemoteSensingUnit) -> None:
        self.hub = hub
        self.conf = conf
        self.key = conf.key
        self.paths = {name: parse_path(conf.fields.get(name, name)) for name in RS_FIELDS}
        self.last: Mapping[str, Any] | None = None  # the last reading (RemoteSensingReadingData)
        self.count = 0
        # Pushed by the unit's door; its sensors follow (a unit speaks only when a vehicle passes).
        self.coordinator: DataUpdateCoordinator[Mapping[str, Any]] = DataUpdateCoordinator(
            hub, _LOGGER, name=f"Remote-sensing unit {self.name}"
        )

    @property
    def name(self) -> str:
        return self.conf.name or self.conf.key

    def reading_of(self, document: Mapping[str, Any]) -> RemoteSensingReadingData:
        """The reading a document holds, checked; FieldMapError names what is wrong."""
        measures = {}
        for name in MEASURES:
            raw = lookup(document, self.paths[name])
            measures[name] = None if raw is None else number(name, raw)
        if all(measures[name] is None for name in ("no_ppm", "hc_ppm", "co_pct", "opacity_pct")):
            raise FieldMapError("none of no_ppm, hc_ppm, co_pct, opacity_pct in the reading")
        plate_raw = lookup(document, self.paths["plate"])
        plate = None
        if isinstance(plate_raw, str) and plate_raw.strip() and plate_raw.strip().upper() not in NO_PLATE:
            plate = normalise_plate(plate_raw)[:16]
            if not plate.isprintable():
                raise FieldMapError("plate: holds control characters")
        valid_raw = lookup(document, self.paths["valid"])
        valid = (
            valid_raw
            if isinstance(valid_raw, bool)
            else str(valid_raw).lower() in ("1", "true", "y", "valid")
        )
        if valid_raw is None:
            valid = True
        at = self._time(lookup(document, self.paths["time"]))
        reading_id = lookup(document, self.paths["reading_id"])
        lane = lookup(document, self.paths["lane"])
        # A cast: the measures are filled by name from MEASURES, which the type checker cannot follow.
        return cast(RemoteSensingReadingData, {
            "unit": self.key,
            "name": self.name,
            "site": self.conf.site,
            "gate": self.conf.gate,
            "lane": str(lane)[:40] if lane is not None else self.conf.lane,
            "reading_id": str(reading_id)[:64] if reading_id is not None else uuid.uuid4().hex,
            "at": at.isoformat(),
            "plate": plate,
            "valid": bool(valid),
            **measures,
        })  # fmt: skip

    def _time(self, raw: Any) -> datetime:
        if raw is None:
            return self.hub.now()
        try:
            moment = _TIME.validate_python(raw)
        except ValidationError:
            raise FieldMapError(f"time: {str(raw)[:30]!r} is not a plausible date and time") from None
        return moment if moment.tzinfo else moment.replace(tzinfo=self.hub.clock.tz)

    def async_ingest(self, document: Mapping[str, Any]) -> RemoteSensingReadingData:
        reading = self.reading_of(document)
        self.last = reading
        self.count += 1
        self.hub.bus.async_fire(EVENT_REMOTE_SENSING_READING, reading)
        self.coordinator.async_set_updated_data(reading)
        return reading
