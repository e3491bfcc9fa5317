"""`sensor.<gate>_<lane>_display`: the text the lane's LED display shows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import EntityDescription

from .entity import BarrierEntity

DISPLAY = EntityDescription(key="display", name="Display", translation_key="display", icon="mdi:led-strip")


class DisplaySensor(BarrierEntity):
    domain = "sensor"
    entity_description = DISPLAY

    @property
    def available(self) -> bool:
        # A TCP display does not hang off the PLC: it stays available while the PLC is away.
        return self.controller.conf.display.kind == "tcp" or self.controller.online

    @property
    def state(self) -> str:
        return self.controller.display_text

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        until = self.controller.display_until
        return {
            "until": until.isoformat() if until else None,
            "truncated": self.controller.display_truncated,
            "kind": self.controller.conf.display.kind,
        }
