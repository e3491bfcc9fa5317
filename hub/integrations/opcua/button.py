"""`button.<key>`: a tag pulsed by a press (a PLC's acknowledge or reset bit); the state is the last press."""

from __future__ import annotations

from datetime import datetime

from .entity import WritableTag


class TagButton(WritableTag):
    domain = "button"
    pressed_at: datetime | None = None

    @property
    def state(self) -> str | None:
        return self.pressed_at.isoformat() if self.pressed_at else None

    async def async_press(self) -> None:
        await self.async_write(self.tag.press_value)
        assert self.hub is not None
        self.pressed_at = self.hub.now()
        self.async_write_state()
