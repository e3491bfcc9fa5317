"""A simulated plate camera: reads the plates of the demo traffic that reaches its lane.

Like a real camera it sometimes reads with low confidence (dirt, glare at night); the hub must then
ask the guard instead of deciding silently. With `render` it draws the vehicle's plate into a scene
image and the hub's own recogniser reads it, so the demo exercises real recognition end to end.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from typing import Any

from hub.core import Event
from hub.core.const import EVENT_VEHICLE_ARRIVED
from hub.core.events import VehicleArrivedData
from hub.util.plate import PlateColour

from .camera import AnprCamera
from .lane import PlateRead

_LOGGER = logging.getLogger(__name__)


class SimulatedCamera:
    def __init__(
        self, camera: AnprCamera, *, seed: int = 0, render: bool = False, low_confidence_share: float = 0.03
    ) -> None:
        self.camera = camera
        self.hub = camera.hub
        self.rng = random.Random(seed)
        self.render = render
        self.low_confidence_share = low_confidence_share
        self._rendering = False

    def async_start(self) -> Callable[[], None]:
        return self.hub.bus.async_listen(EVENT_VEHICLE_ARRIVED, self._on_vehicle, event_filter=self._is_mine)

    def _is_mine(self, event: Event[VehicleArrivedData]) -> bool:
        lane = self.camera.lane
        return event.data["gate"] == lane.gate and event.data["lane"] == lane.lane

    async def _on_vehicle(self, event: Event[VehicleArrivedData]) -> None:
        vehicle = event.data["vehicle"]
        if not vehicle.get("plate"):
            return  # machinery without a plate: the guard records it by its code
        self.camera.async_seen()
        if self.render and not self._rendering:
            # One frame in recognition at a time; a vehicle arriving meanwhile is read as the camera
            # itself would (by text), so heavy demo traffic never builds a queue of frames.
            self._rendering = True
            self.hub.async_create_task(self._read_rendered(vehicle, event.data["direction"]))
            return
        low = self.rng.random() < self.low_confidence_share
        confidence = self.rng.uniform(0.55, 0.8) if low else self.rng.uniform(0.9, 0.995)
        await self.camera.lane.async_handle_read(
            PlateRead(
                plate=vehicle["plate"],
                colour=vehicle.get("colour") or "unknown",
                confidence=confidence,
                direction=event.data["direction"],
                source="simulator",
                captured_at=self.hub.now(),
            )
        )

    async def _read_rendered(self, vehicle: dict[str, Any], direction: str) -> None:
        try:
            data = await self._render_and_read(vehicle, direction)
        finally:
            self._rendering = False
        if data is None:
            _LOGGER.info("Simulated camera %s: no plate read from the rendered frame", self.camera.key)

    async def _render_and_read(self, vehicle: dict[str, Any], direction: str) -> dict[str, Any] | None:
        from .synthetic import render_plate_scene

        colour = PlateColour(vehicle.get("colour") or "blue")
        seed = self.rng.randrange(1 << 30)
        jpeg = await self.hub.async_add_executor_job(
            lambda: render_plate_scene(vehicle["plate"], colour, random.Random(seed))
        )
        return await self.camera.async_read_image(jpeg, "simulator+ocr", direction=direction)
