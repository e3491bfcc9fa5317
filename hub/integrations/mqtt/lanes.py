"""The plant's lanes as Home Assistant devices: their names, their plate reads and latest photos.

A lane is known from its devices (a barrier, a plate camera, the policy's decision). Its Home
Assistant device is named as a person calls the lane: `mqtt.lane_names` (东门 入口车道), else the
configured name of its barrier or camera, else its gate and lane. Each ledger record of a passage
(allow, deny, review) or release becomes an event on the lane's plate-read topic; the photos of a
passage are published, retained, as the lane's latest plate and scene photos.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from hub.core import Hub

from .const import LANE_COMPONENT_NAMES, PHOTO_KINDS, PLATE_READ_TYPES
from .discovery import Topics, encode_json

_LOGGER = logging.getLogger(__name__)
# Devices whose identifier `<integration>:<lane key>` names a lane; the first named wins the lane's name.
LANE_INTEGRATIONS = ("barrier", "anpr", "policy")
NAMING_INTEGRATIONS = ("barrier", "anpr")


class LaneDirectory:
    def __init__(self, configured: dict[str, str], language: str) -> None:
        self._configured = configured
        self._english = language == "en"
        self._device_names: dict[tuple[str, str], str] = {}  # (integration, lane key) -> device name

    @staticmethod
    def lane_of(identifier: str) -> tuple[str, str] | None:
        """(integration, lane key) of a lane device's identifier (`barrier:east_in`), else None."""
        integration, sep, key = identifier.partition(":")
        if sep and integration in LANE_INTEGRATIONS and key and ":" not in key:
            return integration, key
        return None

    def note(self, identifier: str, name: str) -> str | None:
        """Learn a device's name; the lane key it belongs to, if any."""
        lane = self.lane_of(identifier)
        if lane is None:
            return None
        self._device_names[lane] = name
        return lane[1]

    def name(self, key: str) -> str:
        if key in self._configured:
            return self._configured[key]
        for integration in NAMING_INTEGRATIONS:
            if (name := self._device_names.get((integration, key))) is not None:
                return name
        return key.replace("_", " ")

    def component_names(self) -> dict[str, str]:
        return {key: names[1 if self._english else 0] for key, names in LANE_COMPONENT_NAMES.items()}


def plate_read_event(record: Mapping[str, Any]) -> dict[str, Any] | None:
    """The lane's event for a ledger record, or None for records that are no plate read's outcome."""
    if record.get("kind") == "release":
        event_type = "released"
    elif record.get("kind") == "passage":
        event_type = str(record.get("decision"))
    else:
        return None
    if event_type not in PLATE_READ_TYPES:
        return None
    fields = ("plate", "colour", "direction", "reason_code", "reason_text", "passage_id", "seq",
              "recorded_at")  # fmt: skip
    return {"event_type": event_type, **{k: record.get(k) for k in fields}}


class LaneFeed:
    """Plate-read events and latest photos per lane, from `passage_recorded`."""

    def __init__(
        self, hub: Hub, topics: Topics, publish: Callable[..., None], connected: Callable[[], bool]
    ) -> None:
        self._hub = hub
        self._topics = topics
        self._publish = publish
        self._connected = connected

    def on_record(self, record: Mapping[str, Any]) -> None:
        gate, lane = record.get("gate"), record.get("lane")
        if not gate or not lane or not self._connected():
            return
        key = f"{gate}_{lane}"
        event = plate_read_event(record)
        if event is not None:
            self._publish(self._topics.plate_read(key), encode_json(event))
        if record.get("kind") == "passage":
            shas = {kind: record.get(f"photo_{kind}") for kind in PHOTO_KINDS}
            if any(shas.values()):
                self._hub.async_create_task(self._async_photos(key, shas), name="mqtt lane photos")

    async def _async_photos(self, key: str, shas: dict[str, str | None]) -> None:
        for kind, sha in shas.items():
            if not sha:
                continue
            try:  # from the hub's photo store, where the ledger's rows name them
                content = await self._hub.photos.async_read(sha)
            except LookupError as err:  # the store says why (missing, changed); the record stands
                _LOGGER.warning("MQTT: %s photo of lane %s not published: %s", kind, key, err)
                continue
            if self._connected():
                self._publish(self._topics.photo(key, kind), content, retain=True)
