"""`binary_sensor.<key>` for a boolean tag, and `binary_sensor.opcua_<name>_connected` per server."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import DeviceInfo, Entity, EntityDescription
from hub.core.const import STATE_OFF, STATE_ON

from .entity import TagEntity
from .mapping import FALSE_WORDS, TRUE_WORDS


class TagBinarySensor(TagEntity):
    domain = "binary_sensor"

    @property
    def state(self) -> str | None:
        value = self.value
        if value is None:
            return None
        if isinstance(value, bool | int | float):
            on = bool(value)
        elif str(value).strip().lower() in TRUE_WORDS:
            on = True
        elif str(value).strip().lower() in FALSE_WORDS:
            on = False
        else:
            return None
        return STATE_ON if on != self.tag.invert else STATE_OFF


class ServerConnected(Entity):
    """On while the plant's OPC UA server answers; always available (it is what says it is not)."""

    domain = "binary_sensor"

    def __init__(self, name: str, url: str, device: DeviceInfo) -> None:
        self.entity_description = EntityDescription(
            key="connected", name=f"OPC UA {name} connected", device_class="connectivity",
            entity_category="diagnostic",
        )  # fmt: skip
        self.server_name = name
        self.url = url
        self._attr_device_info = device
        self.connected = False
        self.last_error: str | None = None

    @property
    def suggested_object_id(self) -> str:
        return f"opcua_{self.server_name}_connected"

    @property
    def state(self) -> str:
        return STATE_ON if self.connected else STATE_OFF

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {"url": self.url, "last_error": self.last_error}

    def async_set(self, connected: bool, error: str | None = None) -> None:
        if connected == self.connected and error == self.last_error:
            return
        self.connected, self.last_error = connected, error
        if self.entity_id is not None:
            self.async_write_state()
