"""`binary_sensor.mqtt_broker_connected`: whether the hub is connected to its MQTT broker;
`binary_sensor.mqtt_broker_open`: a problem when the broker lets anyone in (commands are then ignored)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hub.core import DeviceInfo, Entity, EntityDescription
from hub.core.const import STATE_OFF, STATE_ON

from .authority import CommandAuthority

CONNECTED = EntityDescription(
    key="connected",
    name="MQTT broker connected",
    translation_key="mqtt_broker_connected",
    device_class="connectivity",
    entity_category="diagnostic",
)


class BrokerConnected(Entity):
    domain = "binary_sensor"
    entity_description = CONNECTED

    def __init__(self, where: str, status: Callable[[], tuple[bool, str | None]]) -> None:
        self._where = where
        self._status = status
        self._attr_device_info = DeviceInfo(
            identifier=f"mqtt:broker:{where}", name=f"MQTT broker {where}", model="MQTT broker"
        )

    @property
    def suggested_object_id(self) -> str:
        return "mqtt_broker_connected"

    @property
    def state(self) -> str:
        return STATE_ON if self._status()[0] else STATE_OFF

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {"broker": self._where, "last_error": self._status()[1]}


OPEN_BROKER = EntityDescription(
    key="open_broker",
    name="MQTT broker lets anyone in",
    translation_key="mqtt_broker_open",
    device_class="problem",
    entity_category="diagnostic",
)


class BrokerOpen(Entity):
    """On when the broker accepts clients without a user name: then no command has a known sender."""

    domain = "binary_sensor"
    entity_description = OPEN_BROKER

    def __init__(self, where: str, authority: CommandAuthority) -> None:
        self._authority = authority
        self._attr_device_info = DeviceInfo(
            identifier=f"mqtt:broker:{where}", name=f"MQTT broker {where}", model="MQTT broker"
        )

    @property
    def suggested_object_id(self) -> str:
        return "mqtt_broker_open"

    @property
    def state(self) -> str | None:
        verdict = self._authority.verdict
        if verdict.kind == "unknown":
            return None
        return STATE_ON if verdict.open else STATE_OFF

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {
            "check": self._authority.verdict.detail,
            "commands": "taken" if self._authority.takes_commands else "ignored",
        }
