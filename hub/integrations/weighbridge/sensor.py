"""`sensor.<gate>_<lane>_weight`: the weight on the bridge (kg); unavailable while the indicator is silent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import EntityDescription

from .entity import WeighbridgeEntity

WEIGHT = EntityDescription(
    key="weight", name="Weight", translation_key="weight", device_class="weight", unit_of_measurement="kg"
)


class WeightSensor(WeighbridgeEntity):
    domain = "sensor"
    entity_description = WEIGHT

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
