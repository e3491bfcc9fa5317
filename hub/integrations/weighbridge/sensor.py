"""`sensor.<gate>_<lane>_weight`: the weight on the bridge (kg); unavailable while the indicator is silent."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hub.core import DeviceInfo, Entity, EntityDescription

from .device import WeighbridgeReader

WEIGHT = EntityDescription(
    key="weight", name="Weight", translation_key="weight", device_class="weight", unit_of_measurement="kg"
)


class WeightSensor(Entity):
    domain = "sensor"
    entity_description = WEIGHT

    def __init__(self, reader: WeighbridgeReader, device: DeviceInfo) -> None:
        self.reader = reader
        self._attr_device_info = device
        self._unsub: Callable[[], None] | None = None

    @property
    def suggested_object_id(self) -> str:
        return f"{self.reader.key}_weight"

    @property
    def available(self) -> bool:
        return self.reader.online

    @property
    def state(self) -> int | None:
        return self.reader.weight_kg

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        at = self.reader.last_stable_at
        return {
            "steady": self.reader.steady,
            "indicator": self.reader.conf.indicator,
            "last_stable_kg": self.reader.last_stable_kg,
            "last_stable_at": at.isoformat() if at else None,
        }

    async def async_added_to_hub(self) -> None:
        self._unsub = self.reader.async_add_listener(self.async_write_state)

    async def async_will_remove_from_hub(self) -> None:
        if self._unsub is not None:
            self._unsub()
