"""Base of the lane's entities: they follow the controller and are unavailable while the PLC is silent."""

from __future__ import annotations

from hub.core import Context, DeviceInfo
from hub.core.coordinator import CoordinatorEntity, DataUpdateCoordinator

from .const import Position
from .device import BarrierController


class BarrierEntity(CoordinatorEntity[DataUpdateCoordinator[tuple[Position, bool]]]):
    def __init__(self, controller: BarrierController, device: DeviceInfo) -> None:
        super().__init__(controller.coordinator)
        self.controller = controller
        self._attr_device_info = device

    @property
    def suggested_object_id(self) -> str:
        return f"{self.controller.key}_{self.entity_description.key}"

    def _handle_coordinator_update(self, context: Context | None) -> None:
        # The arm opening, as the PLC reports it after barrier.open, is that command's doing.
        self.async_write_state(context or self.controller.last_context)
