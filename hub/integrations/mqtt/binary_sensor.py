"""`binary_sensor.mqtt_broker_connected`: whether the hub is connected to its MQTT broker;
`binary_sensor.mqtt_broker_open`: a problem when the broker lets anyone in (commands are then ignored).

Their unique ids name no host or port: a broker moved to another port is the same entity (before,
the port was part of the id and each move made a new entity). Where the registry holds an id of that
old kind, the entity keeps it, so neither the hub's nor Home Assistant's history breaks.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from hub.core import DeviceInfo, Entity, EntityDescription
from hub.core.const import STATE_OFF, STATE_ON
from hub.core.models import EntityRow

from .authority import CommandAuthority
from .const import DOMAIN

BROKER_DEVICE = DeviceInfo(
    identifier="mqtt:broker", name="MQTT broker", model="MQTT broker", model_key="mqtt_broker"
)
_LEGACY_PREFIX = "mqtt:broker:"  # `mqtt:broker:<host>:<port>-<key>`, before the ids were stable


async def async_legacy_unique_ids() -> dict[str, str]:
    """Description key -> the unique id the registry already has for it from a host:port-bound id
    (the first made, if a port change made several)."""
    rows = await EntityRow.filter(platform=DOMAIN, unique_id__startswith=_LEGACY_PREFIX).order_by("id")
    found: dict[str, str] = {}
    for row in rows:
        key = row.unique_id.rsplit("-", 1)[-1]
        found.setdefault(key, row.unique_id)
    return found


class BrokerEntity(Entity):
    """The broker's diagnostic entities: one device, ids that survive a change of host or port."""

    def __init__(self, legacy_unique_id: str | None) -> None:
        self._legacy_unique_id = legacy_unique_id
        self._attr_device_info = BROKER_DEVICE

    @property
    def unique_id(self) -> str:
        return self._legacy_unique_id or super().unique_id


CONNECTED = EntityDescription(
    key="connected",
    name="MQTT broker connected",
    translation_key="mqtt_broker_connected",
    device_class="connectivity",
    entity_category="diagnostic",
)


class BrokerConnected(BrokerEntity):
    domain = "binary_sensor"
    entity_description = CONNECTED

    def __init__(
        self, where: str, status: Callable[[], tuple[bool, str | None]], legacy_unique_id: str | None = None
    ) -> None:
        super().__init__(legacy_unique_id)
        self._where = where
        self._status = status

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


class BrokerOpen(BrokerEntity):
    """On when the broker accepts clients without a user name: then no command has a known sender."""

    domain = "binary_sensor"
    entity_description = OPEN_BROKER

    def __init__(self, authority: CommandAuthority, legacy_unique_id: str | None = None) -> None:
        super().__init__(legacy_unique_id)
        self._authority = authority

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
