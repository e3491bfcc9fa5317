"""`automation.<id>`: on while its triggers are attached, with when it last ran and how many runs go on."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import Entity, EntityDescription
from hub.core.const import STATE_OFF, STATE_ON

from .automation import Automation


class AutomationEntity(Entity):
    domain = "automation"

    def __init__(self, automation_id: str, name: str | None) -> None:
        self.automation_id = automation_id
        self.entity_description = EntityDescription(key=automation_id, name=name, icon="mdi:robot")
        self.automation: Automation | None = None
        self.invalid: str | None = None  # the configuration error of an automation that did not load

    @property
    def unique_id(self) -> str:
        return f"automation-{self.automation_id}"

    @property
    def available(self) -> bool:
        return self.invalid is None and self.automation is not None and self.automation.error is None

    @property
    def state(self) -> str | None:
        return STATE_ON if self.automation is not None and self.automation.enabled else STATE_OFF

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        automation = self.automation
        if automation is None:
            return {"id": self.automation_id, "error": self.invalid}
        attrs: dict[str, Any] = {
            "id": self.automation_id,
            "last_triggered": automation.last_triggered.isoformat() if automation.last_triggered else None,
            "mode": automation.config.mode,
            "current": automation.running,
        }
        if automation.config.mode in ("queued", "parallel"):
            attrs["max"] = automation.config.max
        if automation.error is not None:
            attrs["error"] = automation.error
        return attrs

    def refresh(self) -> None:
        if self.hub is not None and self.entity_id is not None:
            self.async_write_state()
