"""The camera's health: `..._camera_online` (on while it answers), `..._camera_frozen` (a problem)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.core import DeviceInfo, Entity, EntityDescription
from hub.core.const import STATE_OFF, STATE_ON

CAMERA_ONLINE = EntityDescription(
    key="camera_online", name="Camera online", translation_key="camera_online", device_class="connectivity"
)


class CameraOnline(Entity):
    domain = "binary_sensor"
    entity_description = CAMERA_ONLINE

    def __init__(self, lane_key: str, device: DeviceInfo) -> None:
        self.lane_key = lane_key
        self._attr_device_info = device
        self.online = False

    @property
    def suggested_object_id(self) -> str:
        return f"{self.lane_key}_camera_online"

    @property
    def state(self) -> str:
        return STATE_ON if self.online else STATE_OFF

    def async_set_online(self, online: bool) -> None:
        if online != self.online:
            self.online = online
            self.async_write_state()


CAMERA_FROZEN = EntityDescription(
    key="camera_frozen", name="Camera image frozen", translation_key="camera_frozen", device_class="problem"
)


class CameraFrozen(Entity):
    """`binary_sensor.<gate>_<lane>_camera_frozen`: on while the camera keeps sending one same frame."""

    domain = "binary_sensor"
    entity_description = CAMERA_FROZEN

    def __init__(self, lane_key: str, device: DeviceInfo) -> None:
        self.lane_key = lane_key
        self._attr_device_info = device
        self.since: datetime | None = None  # when the frozen frame first came

    @property
    def suggested_object_id(self) -> str:
        return f"{self.lane_key}_camera_frozen"

    @property
    def state(self) -> str:
        return STATE_ON if self.since else STATE_OFF

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {"since": self.since.isoformat() if self.since else None}

    def async_set_frozen(self, since: datetime | None) -> None:
        if since != self.since:
            self.since = since
            if self.entity_id is not None:
                self.async_write_state()
