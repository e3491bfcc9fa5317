"""Base of a bridge's entities: they follow the indicator reader and write their state on each change."""

from __future__ import annotations

from collections.abc import Callable

from hub.core import DeviceInfo, Entity

from .device import WeighbridgeReader


class WeighbridgeEntity(Entity):
    def __init__(self, reader: WeighbridgeReader, device: DeviceInfo) -> None:
        self.reader = reader
        self._attr_device_info = device
        self._unsub: Callable[[], None] | None = None

    @property
    def suggested_object_id(self) -> str:
        return f"{self.reader.key}_{self.entity_description.key}"

    async def async_added_to_hub(self) -> None:
        self._unsub = self.reader.async_add_listener(self.async_write_state)

    async def async_will_remove_from_hub(self) -> None:
        if self._unsub is not None:
            self._unsub()
            self._unsub = None
