"""Sensors: one per microstation and factor (`sensor.aq_<station>_<factor>`), and per remote-sensing
unit the last reading's measures (`sensor.rs_<unit>_<measure>`, the plate and time as attributes)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.core import DeviceInfo, EntityDescription
from hub.core.coordinator import CoordinatorEntity, DataUpdateCoordinator

from .const import FACTOR_BY_KEY
from .remote import RemoteSensingData
from .station import StationData


class FactorSensor(CoordinatorEntity[DataUpdateCoordinator[datetime | None]]):
    """Available while the station is heard from (its coordinator's last update succeeded)."""

    domain = "sensor"

    def __init__(self, station: StationData, factor_key: str, device: DeviceInfo) -> None:
        super().__init__(station.coordinator)
        factor = FACTOR_BY_KEY[factor_key]
        self.station = station
        self.factor = factor
        self._attr_device_info = device
        self.entity_description = EntityDescription(
            key=factor.key,
            name=factor.name,
            translation_key=f"aq_{factor.key}",
            device_class=factor.device_class,
            unit_of_measurement=station.conf.units.get(factor.key, factor.unit),
        )

    @property
    def suggested_object_id(self) -> str:
        return f"aq_{self.station.key}_{self.factor.key}"

    @property
    def state(self) -> float | None:
        return self.station.values.get(self.factor.key)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        at = self.station.data_time
        return {
            "station": self.station.name,
            "mn": self.station.conf.mn,
            "hj212_code": self.factor.code,
            "data_time": at.isoformat() if at else None,
            "record": self.station.kind,
            "flag": self.station.flags.get(self.factor.key),
        }


RS_SENSORS = {
    "no_ppm": ("NO", "ppm"),
    "hc_ppm": ("HC", "ppm"),
    "co_pct": ("CO", "%"),
    "co2_pct": ("CO2", "%"),
    "opacity_pct": ("Opacity", "%"),
    "speed_kmh": ("Speed", "km/h"),
    "accel_ms2": ("Acceleration", "m/s²"),
}


class RemoteSensingSensor(CoordinatorEntity[DataUpdateCoordinator[Mapping[str, Any]]]):
    domain = "sensor"

    def __init__(self, unit: RemoteSensingData, measure: str | None, device: DeviceInfo) -> None:
        """`measure` None: the plate of the last reading."""
        super().__init__(unit.coordinator)
        self.unit = unit
        self.measure = measure
        self._attr_device_info = device
        name, unit_of_measurement = RS_SENSORS[measure] if measure else ("Plate", None)
        key = measure or "plate"
        self.entity_description = EntityDescription(
            key=key, name=name, translation_key=f"rs_{key}", unit_of_measurement=unit_of_measurement
        )

    @property
    def suggested_object_id(self) -> str:
        return f"rs_{self.unit.key}_{self.entity_description.key}"

    @property
    def available(self) -> bool:
        return True  # a unit that has measured nobody yet is "unknown", not unreachable

    @property
    def state(self) -> float | str | None:
        last = self.unit.last
        if last is None:
            return None
        value: float | str | None = last[self.measure] if self.measure else last["plate"]
        return value

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        last = self.unit.last or {}
        return {
            "unit": self.unit.name,
            "site": self.unit.conf.site,
            "plate": last.get("plate"),
            "valid": last.get("valid"),
            "reading_at": last.get("at"),
            "reading_id": last.get("reading_id"),
            "readings": self.unit.count,
        }
