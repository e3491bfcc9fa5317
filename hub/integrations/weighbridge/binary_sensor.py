"""`binary_sensor.<gate>_<lane>_weighbridge_online`: on while the indicator sends valid weights;
`binary_sensor.<gate>_<lane>_weighbridge_stuck`: a problem while it shows one load without a change."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import EntityDescription
from hub.core.const import STATE_OFF, STATE_ON

from .entity import WeighbridgeEntity

WEIGHBRIDGE_ONLINE = EntityDescription(
    key="weighbridge_online",
    name="Weighbridge online",
    translation_key="weighbridge_online",
    device_class="connectivity",
    entity_category="diagnostic",
)


class WeighbridgeOnline(WeighbridgeEntity):
    domain = "binary_sensor"
    entity_description = WEIGHBRIDGE_ONLINE

    @property
    def available(self) -> bool:
        return True  # it is the entity that says the indicator is silent

    @property
    def state(self) -> str:
        return STATE_ON if self.reader.online else STATE_OFF

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {
            "source": self.reader.conf.source,
            "address": self.reader.where,
            "last_error": self.coordinator.last_error,
            "garbled_frames": self.reader.garbled_frames,
        }


WEIGHBRIDGE_STUCK = EntityDescription(
    key="weighbridge_stuck",
    name="Weighbridge stuck",
    translation_key="weighbridge_stuck",
    device_class="problem",
    entity_category="diagnostic",
)


class WeighbridgeStuck(WeighbridgeEntity):
    domain = "binary_sensor"
    entity_description = WEIGHBRIDGE_STUCK

    @property
    def available(self) -> bool:
        return True  # stuck or not is known from the last readings, silent indicator or not

    @property
    def state(self) -> str:
        return STATE_ON if self.reader.stuck else STATE_OFF

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {"reading_kg": self.reader.stuck_kg, "stuck_seconds": self.reader.conf.stuck_seconds}
