"""`sensor.<key>`: a numeric or text tag of a plant OPC UA server (scaled as configured)."""

from __future__ import annotations

from datetime import datetime

from .entity import TagEntity


class TagSensor(TagEntity):
    domain = "sensor"

    @property
    def state(self) -> str | None:
        value = self.value
        if value is None:
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            if isinstance(value, int) and self.tag.scale == 1 and self.tag.offset == 0:
                return str(value)
            number = value * self.tag.scale + self.tag.offset
            if self.tag.precision is not None:
                return f"{number:.{self.tag.precision}f}"
            return repr(round(number, 9))  # 12.3, not 12.300000000000001
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, bytes):
            return value.hex()
        return str(value)[:255]
