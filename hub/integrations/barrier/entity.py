"""Base of the lane's entities: they follow the controller and are unavailable while the PLC is silent."""

from __future__ import annotations

from collections.abc import Callable

from hub.core import Context, DeviceInfo, Entity

from .device import BarrierController


class BarrierEntity(Entity):
    def __init__(self, controller: BarrierController, device: DeviceInfo) -> None:
        self.controller = controller
        self._attr_device_info = device
        self._attr_available = controller.online
        self._unsub: Callable[[], None] | None = None

    @property
    def suggested_object_id(self) -> str:
        return f"{self.controller.key}_{self.entity_description.key}"

    async def async_added_to_hub(self) -> None:
        self._unsub = self.controller.async_add_listener(self._on_update)

    async def async_will_remove_from_hub(self) -> None:
        if self._unsub is not None:
            self._unsub()
            self._unsub = None

    def _on_update(self, context: Context | None) -> None:
        self._attr_available = self.controller.online
        self.async_write_state(context)
