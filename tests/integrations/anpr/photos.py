"""What a camera's plate read names: its photos, read back from the hub's photo store."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import Hub


async def photos_of(hub: Hub, data: Mapping[str, Any]) -> dict[str, bytes]:
    """role -> the bytes a plate_read's photo references stand for (each checked against its hash)."""
    assert "images" not in data, "a plate read carries photo references, never bytes"
    out: dict[str, bytes] = {}
    for role, ref in data["photos"].items():
        content = await hub.photos.async_read(ref["sha256"])
        assert len(content) == ref["size"]
        out[role] = content
    return out
