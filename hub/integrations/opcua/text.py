"""`text.<key>`: a string tag the hub writes (an LED display's line, an MES tag for the last passage)."""

from __future__ import annotations

from .entity import WritableTag


class TagText(WritableTag):
    domain = "text"

    @property
    def state(self) -> str | None:
        return None if self.value is None else str(self.value)[:255]

    async def async_set_value(self, value: str) -> None:
        await self.async_write(value)
