"""`binary_sensor.<gate>_<lane>_alarm` (the sound/light alarm) and `..._barrier_online` (the PLC answers)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import EntityDescription
from hub.core.const import STATE_OFF, STATE_ON

from .entity import BarrierEntity

ALARM = EntityDescription(key="alarm", name="Alarm", translation_key="alarm", device_class="sound")
BARRIER_ONLINE = EntityDescription(
    key="barrier_online",
    name="Barrier online",
    translation_key="barrier_online",
    device_class="connectivity",
    entity_category="diagnostic",
)


class AlarmSensor(BarrierEntity):
    domain = "binary_sensor"
    entity_description = ALARM

    @property
    def state(self) -> str:
        return STATE_ON if self.controller.alarm_on else STATE_OFF


class BarrierOnline(BarrierEntity):
    """Always available: it is the entity that says the PLC is not."""

    domain = "binary_sensor"
    entity_description = BARRIER_ONLINE

    @property
    def available(self) -> bool:
        return True

    @property
    def state(self) -> str:
        return STATE_ON if self.controller.online else STATE_OFF

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        conn = self.controller.connection
        return {"host": conn.host, "port": conn.port, "last_error": self.coordinator.last_error}
