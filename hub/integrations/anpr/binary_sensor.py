"""`binary_sensor.<gate>_<lane>_camera_online`: on while the camera answers."""

from __future__ import annotations

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
