"""The lane's sensors: its plate (`sensor.<gate>_<lane>_plate`) and the frames it had to drop."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import DeviceInfo, Entity, EntityDescription
from hub.core.coordinator import CoordinatorEntity, DataUpdateCoordinator

from .lane import CameraLane

PLATE = EntityDescription(key="plate", name="Plate", translation_key="plate", icon="mdi:card-text")


class PlateSensor(CoordinatorEntity[DataUpdateCoordinator[dict[str, Any]]]):
    domain = "sensor"
    entity_description = PLATE

    def __init__(self, lane: CameraLane, device: DeviceInfo) -> None:
        super().__init__(lane.coordinator)
        self.lane = lane
        self._attr_device_info = device

    @property
    def available(self) -> bool:
        return True  # the last plate stays true while the camera is silent; `camera_online` says it is

    @property
    def suggested_object_id(self) -> str:
        return f"{self.lane.key}_plate"

    @property
    def state(self) -> str | None:
        return self.lane.last["plate"] if self.lane.last else None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        last = self.lane.last or {}
        attrs = {k: last.get(k) for k in ("colour", "confidence", "direction", "needs_review", "read_id")}
        attrs["images"] = sorted(last.get("photos") or {})  # the roles of its photos (plate, scene)
        attrs["gate"], attrs["lane"] = self.lane.gate, self.lane.lane
        return attrs


FRAMES_DROPPED = EntityDescription(
    key="frames_dropped",
    name="Frames dropped",
    translation_key="frames_dropped",
    entity_category="diagnostic",
)


class FramesDropped(Entity):
    """`sensor.<gate>_<lane>_frames_dropped`: frames left unread because newer ones of the lane came first."""

    domain = "sensor"
    entity_description = FRAMES_DROPPED

    def __init__(self, lane_key: str, device: DeviceInfo) -> None:
        self.lane_key = lane_key
        self._attr_device_info = device
        self.count = 0

    @property
    def suggested_object_id(self) -> str:
        return f"{self.lane_key}_frames_dropped"

    @property
    def state(self) -> str:
        return str(self.count)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {"state_class": "total_increasing"}

    def async_count(self) -> None:
        self.count += 1
        if self.entity_id is not None:
            self.async_write_state()
