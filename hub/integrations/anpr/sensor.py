"""The lane's plate sensor: `sensor.<gate>_<lane>_plate`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import DeviceInfo, Entity, EntityDescription

from .lane import CameraLane

PLATE = EntityDescription(key="plate", name="Plate", translation_key="plate", icon="mdi:card-text")


class PlateSensor(Entity):
    domain = "sensor"
    entity_description = PLATE

    def __init__(self, lane: CameraLane, device: DeviceInfo) -> None:
        self.lane = lane
        self._attr_device_info = device
        lane.listeners.append(self)

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
        attrs["images"] = sorted(k for k, v in (last.get("images") or {}).items() if v)
        attrs["gate"], attrs["lane"] = self.lane.gate, self.lane.lane
        return attrs
