"""`number.<key>`: a set point the hub writes (scaled like a sensor: value * scale + offset)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import HubError

from .entity import WritableTag
from .sensor import tag_state


class TagNumber(WritableTag):
    domain = "number"

    @property
    def state(self) -> str | None:
        return tag_state(self.tag, self.value)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {**super().extra_state_attributes, "min": self.tag.minimum, "max": self.tag.maximum}

    async def async_set_value(self, value: float) -> None:
        tag = self.tag
        low, high = tag.minimum, tag.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            raise HubError(f"{self.entity_id}: {value:g} is outside {tag.minimum}..{tag.maximum}")
        await self.async_write((value - tag.offset) / tag.scale)
