"""`sensor.<key>`: a numeric or text tag of a plant OPC UA server (scaled as configured)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .config import TagConfig
from .entity import TagEntity


def tag_state(tag: TagConfig, value: Any) -> str | None:
    """The state text of a tag's value: numbers scaled (value * scale + offset) and rounded."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        if isinstance(value, int) and tag.scale == 1 and tag.offset == 0:
            return str(value)
        number = value * tag.scale + tag.offset
        if tag.precision is not None:
            return f"{number:.{tag.precision}f}"
        return repr(round(number, 9))  # 12.3, not 12.300000000000001
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)[:255]


class TagSensor(TagEntity):
    domain = "sensor"

    @property
    def state(self) -> str | None:
        return tag_state(self.tag, self.value)
