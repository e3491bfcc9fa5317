"""`sensor.<reader>_tag`: the last tag the reader saw, with its antenna, RSSI and when."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import DeviceInfo, EntityDescription
from hub.core.coordinator import CoordinatorEntity, DataUpdateCoordinator

from .protocol import TagRead
from .reader import RfidReader

TAG = EntityDescription(key="tag", name="RFID tag", translation_key="rfid_tag", icon="mdi:nfc-variant")


class RfidTagSensor(CoordinatorEntity[DataUpdateCoordinator[TagRead | None]]):
    domain = "sensor"
    entity_description = TAG

    def __init__(self, reader: RfidReader, device: DeviceInfo) -> None:
        super().__init__(reader.coordinator)
        self.reader = reader
        self._attr_device_info = device

    @property
    def suggested_object_id(self) -> str:
        return f"{self.reader.name}_tag"

    @property
    def state(self) -> str | None:
        return self.reader.last.tag if self.reader.last else None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        last, at = self.reader.last, self.reader.read_at
        return {
            "tag": last.tag if last else None,
            "antenna": last.antenna if last else None,
            "rssi": last.rssi if last else None,
            "read_at": at.isoformat() if at else None,
            "reader": self.reader.name,
            "protocol": self.reader.conf.protocol,
        }
