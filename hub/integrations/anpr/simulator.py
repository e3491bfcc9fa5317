"""A simulated plate camera: reads the plates of the demo traffic that reaches its lane.

Like a real camera it sometimes reads with low confidence (dirt, glare at night); the hub must then
ask the guard instead of deciding silently.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from hub.core import Event, Hub

from .lane import CameraLane, PlateRead

EVENT_VEHICLE_ARRIVED = "vehicle_arrived"  # fired by the demo traffic generator


class SimulatedCamera:
    def __init__(self, hub: Hub, lane: CameraLane, *, seed: int = 0, low_confidence_share: float = 0.03):
        self.hub = hub
        self.lane = lane
        self.rng = random.Random(seed)
        self.low_confidence_share = low_confidence_share

    def async_start(self) -> Callable[[], None]:
        return self.hub.bus.async_listen(EVENT_VEHICLE_ARRIVED, self._on_vehicle, event_filter=self._is_mine)

    def _is_mine(self, event: Event) -> bool:
        return event.data.get("gate") == self.lane.gate and event.data.get("lane") == self.lane.lane

    def _on_vehicle(self, event: Event) -> None:
        vehicle: dict[str, Any] = event.data["vehicle"]
        if not vehicle.get("plate"):
            return  # machinery without a plate: the guard records it by its code
        low = self.rng.random() < self.low_confidence_share
        confidence = self.rng.uniform(0.55, 0.8) if low else self.rng.uniform(0.9, 0.995)
        self.lane.async_handle_read(
            PlateRead(
                plate=vehicle["plate"],
                colour=vehicle.get("colour") or "unknown",
                confidence=confidence,
                direction=event.data["direction"],
                source="simulator",
                captured_at=self.hub.now(),
            )
        )
