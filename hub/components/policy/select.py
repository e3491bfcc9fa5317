"""`select.plant_alert_level`: the heavy-pollution alert level in force (normal/yellow/orange/red).

Like a Home Assistant select its options are in the attributes; it is switched through the service
`policy.set_alert_level`, which checks the caller's role and is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub.core import DeviceInfo, Entity, EntityDescription

from .const import ALERT_ENTITY_OBJECT_ID, AlertLevel

if TYPE_CHECKING:
    from .manager import PolicyManager

ALERT = EntityDescription(
    key=ALERT_ENTITY_OBJECT_ID, name="Alert level", translation_key="alert_level", icon="mdi:alert"
)
PLANT_DEVICE = DeviceInfo(identifier="policy:plant", name="准入策略 Admission policy", manufacturer="EcoGate")


class AlertLevelSelect(Entity):
    domain = "select"
    entity_description = ALERT

    def __init__(self, manager: PolicyManager) -> None:
        self.manager = manager
        self._attr_device_info = PLANT_DEVICE

    @property
    def suggested_object_id(self) -> str:
        return ALERT_ENTITY_OBJECT_ID

    @property
    def state(self) -> str:
        return self.manager.alerts.state.level

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        alert = self.manager.alerts.state
        book = self.manager.book
        pending = alert.pending
        return {
            "options": [level.value for level in AlertLevel],
            "level_label": book.label("levels", alert.level),
            "response_level": alert.response_level,
            "start": alert.start.isoformat() if alert.start else None,
            "end": alert.end.isoformat() if alert.end else None,
            "measure_code": alert.measure_code,
            "measure": alert.measure,
            "source": alert.source,
            "reason": alert.reason,
            "grade": book.grade,
            "scheduled": pending.as_dict() if pending else None,
        }
