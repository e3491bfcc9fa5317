"""`sensor.<object_id>`: a value read from a configured MQTT topic (an air-quality microstation ...).

Unavailable until the first good message, while the broker is away, and after `expire_after`
seconds without a message. A bad payload is logged (sparingly) and leaves the last value standing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from hub.core import DeviceInfo, Entity, EntityDescription

from .config import ImageTopic, SensorTopic
from .ingest import extract_value, parse_json_path


def sensor_device(conf: SensorTopic | ImageTopic) -> DeviceInfo:
    if conf.device is not None:
        d = conf.device
        return DeviceInfo(identifier=f"mqtt:{d.id}", name=d.name, manufacturer=d.manufacturer, model=d.model)
    return DeviceInfo(
        identifier=f"mqtt:{conf.topic}", name=conf.topic, model="MQTT topic", model_key="mqtt_topic"
    )


class MqttSensor(Entity):
    domain = "sensor"

    def __init__(self, conf: SensorTopic) -> None:
        self.conf = conf
        self.entity_description = EntityDescription(
            key=conf.key,
            name=conf.name or conf.key,
            device_class=conf.device_class,
            unit_of_measurement=conf.unit_of_measurement,
        )
        self._attr_device_info = sensor_device(conf)
        self._attr_available = False
        self._path = parse_json_path(conf.json_path) if conf.json_path else None
        self._value: float | str | None = None
        self._topic: str | None = None
        self._expiry: asyncio.TimerHandle | None = None

    @property
    def suggested_object_id(self) -> str:
        return self.conf.key

    @property
    def state(self) -> str | None:
        if isinstance(self._value, float):
            return str(int(self._value)) if self._value.is_integer() else repr(self._value)
        return self._value

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {"topic": self._topic or self.conf.topic, "json_path": self.conf.json_path}

    def async_handle(self, topic: str, payload: bytes) -> None:
        """Take a message from the topic; raises BadPayload, leaving the state as it was."""
        value = extract_value(payload, self._path, self.conf.value_type)
        self._value, self._topic = value, topic
        self._attr_available = True
        self._arm_expiry()
        if self.conf.force_update and self.hub is not None and self.entity_id is not None:
            states = self.hub.states
            states.async_set(self.entity_id, self.state or "", self.state_attributes(), force_update=True)
        else:
            self.async_write_state()

    def async_broker_lost(self) -> None:
        self._cancel_expiry()
        self.async_set_available(False)

    def _arm_expiry(self) -> None:
        self._cancel_expiry()
        if self.conf.expire_after is not None:
            loop = asyncio.get_running_loop()
            self._expiry = loop.call_later(self.conf.expire_after, self.async_set_available, False)

    def _cancel_expiry(self) -> None:
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None

    async def async_will_remove_from_hub(self) -> None:
        self._cancel_expiry()
