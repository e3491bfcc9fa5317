"""`image.<object_id>`: the latest photo another camera system publishes on an MQTT topic.

Each message is the picture itself (JPEG or PNG, as Home Assistant's MQTT `image` takes it). It is
checked (util/images.py) and put in the hub's photo store; the entity's state is when it arrived (as
Home Assistant's image entities show) and its attributes name the photo (`sha256`, `size`), so a
lane that binds the entity as its `photo` or `plate_photo` records the read with that photo
(policy/lanes.py). A retained message is the photo of a vehicle gone long ago: not taken. A bad one
is logged (sparingly) and leaves the last photo standing.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from hub.core import Entity, EntityDescription
from hub.core.photos import MAX_PHOTO_BYTES, PhotoRef
from hub.util.images import NotAPhoto, check_photo

from .config import ImageTopic
from .ingest import ThrottledLog
from .sensor import sensor_device

_LOGGER = logging.getLogger(__name__)


class MqttImage(Entity):
    domain = "image"

    def __init__(self, conf: ImageTopic, bad: ThrottledLog) -> None:
        self.conf = conf
        self.entity_description = EntityDescription(key=conf.object_id, name=conf.name or conf.object_id)
        self._attr_device_info = sensor_device(conf)
        self._bad = bad
        self._photo: PhotoRef | None = None
        self._kind = ""
        self._at: datetime | None = None
        self._arrived = self._shown = 0  # messages are checked side by side: the newest one stays

    @property
    def suggested_object_id(self) -> str:
        return self.conf.object_id

    @property
    def state(self) -> str | None:
        return self._at.isoformat() if self._at is not None else None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        photo: Mapping[str, Any] = self._photo or {}
        content_type = f"image/{self._kind.lower()}" if self._kind else None
        return {"topic": self.conf.topic, **photo, "content_type": content_type}

    def on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        if retained:
            _LOGGER.debug("MQTT image %s: retained photo on %s not taken", self.entity_id, topic)
            return
        if self.hub is not None:
            self._arrived += 1
            name = f"mqtt image {self.conf.object_id}"
            self.hub.async_create_task(self._async_take(payload, self._arrived), name=name)

    async def _async_take(self, payload: bytes, number: int) -> None:
        assert self.hub is not None
        try:
            if len(payload) > MAX_PHOTO_BYTES:
                raise NotAPhoto(f"the photo has {len(payload)} bytes; at most {MAX_PHOTO_BYTES}")
            kind = await self.hub.async_add_executor_job(check_photo, "the photo", payload)
            photos = await self.hub.photos.async_put({"photo": payload})
        except ValueError as err:  # NotAPhoto is one
            self._bad.warning(
                f"image {self.conf.object_id}", "MQTT image %s: message on %s ignored: %s",
                self.entity_id, self.conf.topic, err,
            )  # fmt: skip
            return
        if "photo" not in photos or number < self._shown:
            return  # the disk refuses it and memory is full (the store said so), or a newer one is in
        self._shown = number
        self._photo, self._kind, self._at = photos["photo"], kind, self.hub.now()
        self.async_write_state()
