"""`select.plant_alert_level`: the heavy-pollution alert level in force (normal/yellow/orange/red).

Like a Home Assistant select its options are in the attributes; it is switched through the service
`policy.set_alert_level`, which checks the caller's role and is audited. The entity owns the level:
the saved file (`AlertStore`), the schedule (`AlertLevels`), the `alert_level_changed` event and the
audit of switches the schedule makes. The policy asks it for the level in force.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from hub.core import Context, DeviceInfo, Entity, EntityDescription, Hub
from hub.core.events import AlertLevelChangedData

from .alert import AlertLevels, AlertState, AlertStore
from .const import ALERT_ENTITY_OBJECT_ID, ALERT_STATE_FILE, EVENT_ALERT_LEVEL_CHANGED, AlertLevel
from .decide import RuleBook

_LOGGER = logging.getLogger(__name__)
ALERT = EntityDescription(
    key=ALERT_ENTITY_OBJECT_ID, name="Alert level", translation_key="alert_level", icon="mdi:alert"
)
PLANT_DEVICE = DeviceInfo(identifier="policy:plant", name="准入策略 Admission policy", manufacturer="EcoGate")


class AlertLevelSelect(Entity):
    domain = "select"
    entity_description = ALERT

    def __init__(
        self, hub: Hub, book: RuleBook, schedule_seconds: float, on_rules_changed: Callable[[Context], None]
    ) -> None:
        self._hub: Hub = hub  # Entity.hub is set only once the entity is added
        self.book = book
        self.schedule_seconds = schedule_seconds
        self.store = AlertStore(hub.data_dir / ALERT_STATE_FILE)
        self._on_rules_changed = on_rules_changed  # the lanes show the new level (the lane devices)
        self.levels = AlertLevels(self.store, self._on_change, self._persist, AlertState())  # loaded at start
        self._switching: Context | None = None  # the service call behind the switch being applied
        self._save_tail: asyncio.Task[None] | None = None
        self._attr_device_info = PLANT_DEVICE

    async def async_load(self) -> None:
        """The saved level, and the schedule step that came due while the hub was down."""
        self.levels.state = await self._hub.async_add_executor_job(self.store.load)
        self.levels.tick(self._hub.now())

    @property
    def alert(self) -> AlertState:
        return self.levels.state

    def current(self, now: datetime) -> AlertState:
        """The alert in force at `now` (a due schedule step applied first, so the next read sees it)."""
        return self.levels.current(now)

    def switch(self, new: AlertState, context: Context) -> AlertState:
        """Put a person's (or the platform's) alert in force, or schedule it; audited by its service."""
        self._switching = context
        try:
            state = self.levels.set(new, self._hub.now())
        finally:
            self._switching = None
        if state.pending is not None and state.pending == new:
            self.async_write_state(context)  # the schedule shows on the select until it starts
        return state

    def cancel_pending(self, context: Context) -> AlertState | None:
        pending = self.levels.cancel_pending()
        if pending is not None:
            self.async_write_state(context)
        return pending

    async def async_run_schedule(self) -> None:
        while True:
            await asyncio.sleep(self.schedule_seconds)
            try:
                self.levels.tick(self._hub.now())
            except Exception:
                _LOGGER.exception("Policy: alert schedule step failed")

    # ----- the entity ----------------------------------------------------------------------------
    @property
    def suggested_object_id(self) -> str:
        return ALERT_ENTITY_OBJECT_ID

    @property
    def state(self) -> str:
        return self.alert.level

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        alert = self.alert
        pending = alert.pending
        return {
            "options": [level.value for level in AlertLevel],
            "level_label": self.book.label("levels", alert.level),
            "response_level": alert.response_level,
            "start": alert.start.isoformat() if alert.start else None,
            "end": alert.end.isoformat() if alert.end else None,
            "measure_code": alert.measure_code,
            "measure": alert.measure,
            "source": alert.source,
            "reason": alert.reason,
            "grade": self.book.grade,
            "scheduled": pending.as_dict() if pending else None,
        }

    # ----- a switch ------------------------------------------------------------------------------
    def _persist(self, state: AlertState) -> None:
        """Saved behind the earlier saves, in order, off the loop."""
        before = self._save_tail

        async def save() -> None:
            if before is not None and not before.done():
                await asyncio.wait([before])
            try:
                await self._hub.async_add_executor_job(self.store.save, state)
            except OSError as err:
                _LOGGER.error("Policy: cannot save the alert level to %s: %s", self.store.path, err)

        self._save_tail = self._hub.async_create_task(save(), name="policy save alert level")

    def _on_change(self, old: AlertState, new: AlertState) -> None:
        context = self._switching or Context()
        if self.entity_id is not None:
            self.async_write_state(context)
        data = AlertLevelChangedData(
            level=new.level, previous=old.level, measure_code=new.measure_code, measure=new.measure,
            response_level=new.response_level, start=new.start.isoformat() if new.start else None,
            end=new.end.isoformat() if new.end else None, source=new.source, reason=new.reason,
            user_id=new.user_id,
        )  # fmt: skip
        self._hub.bus.async_fire(EVENT_ALERT_LEVEL_CHANGED, data, context)
        _LOGGER.info("Policy: alert level %s -> %s (%s)", old.level, new.level, new.source)
        if self._switching is None and self._hub.services.has_service("ledger", "record_audit"):
            # A switch by the schedule is no service call, so the registry does not audit it: we do.
            audit = {"action": "policy.set_alert_level", "door": "schedule", "target": new.level,
                     "detail": {"data": data}}  # fmt: skip
            self._hub.async_create_task(
                self._hub.services.async_call("ledger", "record_audit", audit, context),
                name="policy audit alert switch",
            )
        if not old.same_rules(new):
            self._on_rules_changed(context)
