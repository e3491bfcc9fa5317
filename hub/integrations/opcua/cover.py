"""`cover.<key>`: a barrier (or door) a PLC moves: a command tag written, a status or position tag read.

The state comes from the status tag only (what the PLC says the arm does), never from the command: a
command the PLC did not carry out leaves the cover as it was. Without a `cover_states` map the status
tag is a position in percent: 0 closed, 100 open, in between opening or closing by the last move."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .entity import WritableTag


class TagCover(WritableTag):
    domain = "cover"
    _position: float | None = None
    _rising = True

    @property
    def state(self) -> str | None:
        value = self.value
        if value is None:
            return None
        states = self.tag.cover_states
        if states is not None:
            key = str(int(value)) if isinstance(value, bool | int | float) else str(value)
            return states.get(key)
        try:
            position = float(value)
        except (TypeError, ValueError):
            return None
        if position <= 0:
            return "closed"
        if position >= 100:
            return "open"
        return "opening" if self._rising else "closing"

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        extra = {"current_position": self._position} if self.tag.cover_states is None else {}
        return {**super().extra_state_attributes, **extra}

    def async_update(self, value: Any, status: str, source_time: Any) -> None:
        if self.tag.cover_states is None and isinstance(value, int | float) and not isinstance(value, bool):
            if self._position is not None and value != self._position:
                self._rising = value > self._position
            self._position = float(value)
        super().async_update(value, status, source_time)

    async def async_open_cover(self) -> None:
        self._rising = True
        await self.async_write(self.tag.command_open)

    async def async_close_cover(self) -> None:
        self._rising = False
        await self.async_write(self.tag.command_close)

    async def async_stop_cover(self) -> None:
        if self.tag.command_stop is not None:
            await self.async_write(self.tag.command_stop)
