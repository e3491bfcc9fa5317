"""Base of a bridge's entities: they follow the indicator reader and write their state on each change."""

from __future__ import annotations

from hub.core import DeviceInfo
from hub.core.coordinator import CoordinatorEntity, DataUpdateCoordinator

from .device import WeighbridgeReader


class WeighbridgeEntity(CoordinatorEntity[DataUpdateCoordinator[int | None]]):
    def __init__(self, reader: WeighbridgeReader, device: DeviceInfo) -> None:
        super().__init__(reader.coordinator)
        self.reader = reader
        self._attr_device_info = device

    @property
    def suggested_object_id(self) -> str:
        return f"{self.reader.key}_{self.entity_description.key}"
