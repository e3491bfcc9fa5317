"""Entities for tags of a plant OPC UA server: the base of every platform, and of the writable ones."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from hub.core import DeviceInfo, Entity, EntityDescription

from .config import TagConfig


class TagEntity(Entity):
    """One tag. Available while its server is connected and the tag's last value had a good status."""

    def __init__(self, tag: TagConfig, device: DeviceInfo, server_name: str) -> None:
        self.tag = tag
        self.server_name = server_name
        self._attr_device_info = device
        self._attr_available = False
        self.entity_description = EntityDescription(
            key=tag.key,
            name=tag.name or tag.key,
            device_class=tag.device_class,
            unit_of_measurement=tag.unit_of_measurement,
        )
        self.value: Any = None
        self.status = "BadWaitingForInitialData"
        self.source_time: datetime | None = None

    @property
    def suggested_object_id(self) -> str:
        return self.tag.key

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {
            "server": self.server_name,
            "node_id": self.tag.node_id,
            "status": self.status,
            "source_time": self.source_time.isoformat() if self.source_time else None,
        }

    def async_update(self, value: Any, status: str, source_time: datetime | None) -> None:
        """A new value from the subscription (or a status saying there is none)."""
        self.value, self.status, self.source_time = value, status, source_time
        self._attr_available = status.startswith("Good") or status.startswith("Uncertain")
        if self.entity_id is not None:
            self.async_write_state()

    def async_lost(self, status: str = "BadNotConnected") -> None:
        if status == self.status and not self._attr_available:
            return
        self.status = status
        self._attr_available = False
        if self.entity_id is not None:
            self.async_write_state()


# The client's write: (node id text, value) -> the value read back; raises HubError if not confirmed.
TagWriter = Callable[[str, Any], Awaitable[Any]]


class WritableTag(TagEntity):
    """A tag the hub writes (switch, number, text, button, cover). The state follows the tag's own
    subscription; a write returns once the server has taken it and reading back gave the same value."""

    def __init__(self, tag: TagConfig, device: DeviceInfo, server_name: str, writer: TagWriter) -> None:
        super().__init__(tag, device, server_name)
        self.writer = writer

    async def async_write(self, value: Any) -> Any:
        return await self.writer(self.tag.write_node_id or self.tag.node_id, value)
