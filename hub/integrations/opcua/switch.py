"""`switch.<key>`: a tag the hub switches (a fog cannon's run command, a lane's alarm lamp)."""

from __future__ import annotations

from hub.core.const import STATE_OFF, STATE_ON

from .entity import WritableTag


def same(value: object, wanted: object) -> bool:
    """A tag value equals a configured one (a YAML 1 for an Int16 tag, true for a Boolean ...)."""
    if isinstance(value, bool | int | float) and isinstance(wanted, bool | int | float):
        return float(value) == float(wanted)
    return str(value) == str(wanted)


class TagSwitch(WritableTag):
    domain = "switch"

    @property
    def state(self) -> str | None:
        if self.value is None:
            return None
        if same(self.value, self.tag.payload_on):
            return STATE_ON
        return STATE_OFF if same(self.value, self.tag.payload_off) else None

    async def async_turn_on(self) -> None:
        await self.async_write(self.tag.payload_on)

    async def async_turn_off(self) -> None:
        await self.async_write(self.tag.payload_off)
