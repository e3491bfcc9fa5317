"""One camera lane: merges repeated reads of one vehicle and announces each vehicle once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from hub.core import Context, Hub
from hub.core.const import EVENT_PLATE_READ
from hub.core.context import ulid_now
from hub.core.coordinator import DataUpdateCoordinator
from hub.core.events import PlateReadData

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class PlateRead:
    """What a camera reported for one vehicle; images are JPEG bytes (may be empty), which stay in the
    camera's integration until the photo store has them."""

    plate: str
    colour: str
    confidence: float
    direction: str
    source: str
    captured_at: datetime
    images: dict[str, bytes] = field(default_factory=dict)
    needs_review: bool = False  # the recogniser's own doubt (passes disagreed), besides low confidence


class CameraLane:
    def __init__(self, hub: Hub, gate: str, lane: str, *, threshold: float, merge_seconds: float) -> None:
        self.hub = hub
        self.gate = gate
        self.lane = lane
        self.key = f"{gate}_{lane}"
        self.threshold = threshold
        self.merge_seconds = merge_seconds
        self._last_seen: tuple[str, datetime] | None = None
        # The lane's entities follow its reads through it; the camera pushes, nothing is polled.
        self.coordinator: DataUpdateCoordinator[dict[str, Any]] = DataUpdateCoordinator(
            hub, _LOGGER, name=f"Camera lane {self.key}"
        )

    @property
    def last(self) -> dict[str, Any] | None:
        """The last vehicle announced (the `plate_read` data)."""
        return self.coordinator.data

    async def async_handle_read(self, read: PlateRead) -> dict[str, Any] | None:
        """Announce a read as `plate_read`; a repeat of the last plate within the window is merged.

        The photos go into the hub's photo store first (written and flushed, or kept in memory while
        the disk refuses them); the event carries their references. ValueError for a photo the store
        refuses (empty, oversized): then nothing is announced."""
        now = self.hub.now()
        if self._last_seen is not None:
            plate, seen = self._last_seen
            if plate == read.plate and (now - seen).total_seconds() < self.merge_seconds:
                self._last_seen = (plate, now)
                return None
        self._last_seen = (read.plate, now)
        photos = await self.hub.photos.async_put(read.images)
        now = self.hub.now()  # the read is announced now: its age counts from here
        read_id = ulid_now()
        data: PlateReadData = {
            "read_id": read_id,
            "gate": self.gate,
            "lane": self.lane,
            "direction": read.direction,
            "plate": read.plate,
            "colour": read.colour,
            "confidence": round(read.confidence, 3),
            "needs_review": read.needs_review or read.confidence < self.threshold,
            "source": read.source,
            "captured_at": read.captured_at.isoformat(),
            "read_at": now.isoformat(),
            "photos": photos,
        }
        context = Context(id=read_id)
        self.coordinator.async_set_updated_data(dict(data), context)
        self.hub.bus.async_fire(EVENT_PLATE_READ, data, context)
        return dict(data)
