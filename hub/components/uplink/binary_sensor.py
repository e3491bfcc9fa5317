"""`binary_sensor.uplink_<platform>_connected`: the last exchange with the platform worked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import EntityDescription
from hub.core.const import STATE_OFF, STATE_ON

from .sensor import UplinkEntity

CONNECTED = EntityDescription(
    key="connected",
    name="Platform connected",
    translation_key="uplink_connected",
    device_class="connectivity",
)


class UplinkConnected(UplinkEntity):
    domain = "binary_sensor"
    entity_description = CONNECTED

    @property
    def state(self) -> str:
        return STATE_ON if self.link.connected else STATE_OFF

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        keys = ("url", "profile", "transport", "last_error", "last_ok", "failed_attempts", "steps_waiting")
        status = self.link.status()
        return {key: status[key] for key in keys}
