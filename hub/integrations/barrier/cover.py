"""`cover.<gate>_<lane>_barrier`: the arm's position as the PLC's inputs report it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import Context, EntityDescription

from .entity import BarrierEntity

BARRIER = EntityDescription(key="barrier", name="Barrier", translation_key="barrier", device_class="gate")


class BarrierCover(BarrierEntity):
    domain = "cover"
    entity_description = BARRIER

    @property
    def state(self) -> str | None:
        position = self.controller.position
        return position.value if position is not None else None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {"gate": self.controller.conf.gate, "lane": self.controller.conf.lane}

    # `cover.open_cover` / `cover.close_cover` (hub/core/writable.py): the same pulse as barrier.open.
    async def async_open_cover(self, context: Context | None = None) -> None:
        await self.controller.async_command("open", context)

    async def async_close_cover(self, context: Context | None = None) -> None:
        await self.controller.async_command("close", context)
