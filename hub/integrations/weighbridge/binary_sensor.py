"""`binary_sensor.<gate>_<lane>_weighbridge_online`: on while the indicator sends valid weights."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hub.core import DeviceInfo, Entity, EntityDescription
from hub.core.const import STATE_OFF, STATE_ON

from .device import WeighbridgeReader

WEIGHBRIDGE_ONLINE = EntityDescription(
    key="weighbridge_online",
    name="Weighbridge online",
    translation_key="weighbridge_online",
    device_class="connectivity",
    entity_category="diagnostic",
)


class WeighbridgeOnline(Entity):
    domain = "binary_sensor"
    entity_description = WEIGHBRIDGE_ONLINE

    def __init__(self, reader: WeighbridgeReader, device: DeviceInfo) -> None:
        self.reader = reader
        self._attr_device_info = device
        self._unsub: Callable[[], None] | None = None

    @property
    def suggested_object_id(self) -> str:
        return f"{self.reader.key}_weighbridge_online"

    @property
    def state(self) -> str:
        return STATE_ON if self.reader.online else STATE_OFF

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {
            "source": self.reader.conf.source,
            "address": self.reader.where,
            "last_error": self.reader.last_error,
            "garbled_frames": self.reader.garbled_frames,
        }

    async def async_added_to_hub(self) -> None:
        self._unsub = self.reader.async_add_listener(self.async_write_state)

    async def async_will_remove_from_hub(self) -> None:
        if self._unsub is not None:
            self._unsub()
