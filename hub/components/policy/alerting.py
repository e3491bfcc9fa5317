"""The alert level at run time: the select entity, the `alert_level_changed` event, the audit of
switches the schedule makes, the lane displays, the schedule loop and the saved file."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from hub.core import Context

from .alert import AlertLevels, AlertState, AlertStore
from .const import EVENT_ALERT_LEVEL_CHANGED, Phase
from .decide import RuleBook, render
from .passage import LaneTrack
from .select import AlertLevelSelect

if TYPE_CHECKING:
    from hub.core import Hub

    from .config import PolicyConfig

_LOGGER = logging.getLogger(__name__)


class AlertMixin:
    hub: Hub
    config: PolicyConfig
    book: RuleBook
    lanes: dict[str, LaneTrack]
    display_texts: dict[str, str]
    store: AlertStore
    alerts: AlertLevels
    select: AlertLevelSelect
    alert_context: Context | None
    _save_tail: asyncio.Task[None] | None

    if TYPE_CHECKING:

        async def _async_barrier(
            self, track: LaneTrack, service: str, extra: dict[str, Any], context: Context
        ) -> bool: ...

        def has(self, key: str, what: str) -> bool: ...

    # ----- alert level ---------------------------------------------------------------------------
    async def _async_schedule_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.schedule_check_seconds)
            try:
                self.alerts.tick(self.hub.now())
            except Exception:
                _LOGGER.exception("Policy: alert schedule step failed")

    def _persist_alert(self, state: AlertState) -> None:
        before = self._save_tail

        async def save() -> None:
            if before is not None and not before.done():
                await asyncio.wait([before])
            try:
                await self.hub.async_add_executor_job(self.store.save, state)
            except OSError as err:
                _LOGGER.error("Policy: cannot save the alert level to %s: %s", self.store.path, err)

        self._save_tail = self.hub.async_create_task(save(), name="policy save alert level")

    def _on_alert_change(self, old: AlertState, new: AlertState) -> None:
        context = self.alert_context or Context()
        if self.select.entity_id is not None:
            self.select.async_write_state(context)
        data = {
            "level": new.level,
            "previous": old.level,
            "measure_code": new.measure_code,
            "measure": new.measure,
            "response_level": new.response_level,
            "start": new.start.isoformat() if new.start else None,
            "end": new.end.isoformat() if new.end else None,
            "source": new.source,
            "reason": new.reason,
            "user_id": new.user_id,
        }
        self.hub.bus.async_fire(EVENT_ALERT_LEVEL_CHANGED, data, context)
        _LOGGER.info("Policy: alert level %s -> %s (%s)", old.level, new.level, new.source)
        if self.alert_context is None and self.hub.services.has_service("ledger", "record_audit"):
            # A switch by the schedule is no service call, so the registry does not audit it: we do.
            self.hub.async_create_task(
                self.hub.services.async_call(
                    "ledger",
                    "record_audit",
                    {
                        "action": "policy.set_alert_level",
                        "door": "schedule",
                        "target": new.level,
                        "detail": {"data": data},
                    },
                    context,
                ),
                name="policy audit alert switch",
            )
        if self.config.show_alert_on_displays and not old.same_rules(new):
            for track in list(self.lanes.values()):
                if not self._driver_waits(track):
                    self.hub.async_create_task(
                        self._async_show_alert(track, context), name="policy alert display"
                    )

    def _driver_waits(self, track: LaneTrack) -> bool:
        """A driver held at the barrier, or just denied, keeps the text that tells them why."""
        passage = track.current
        if passage is None:
            return False
        if passage.phase is Phase.DECIDED:
            return True
        recent = (self.hub.now() - passage.last_seen).total_seconds() < self.config.display_seconds
        return passage.phase in (Phase.DENIED, Phase.ERROR) and recent

    async def _async_show_alert(self, track: LaneTrack, context: Context) -> None:
        if not self.has(track.key, "display"):
            return
        alert = self.alerts.state
        text = render(
            self.display_texts.get("alert", "{level}"),
            {
                "level": self.book.label("levels", alert.level),
                "response": self.book.label("response", alert.level),
            },
        )
        await self._async_barrier(
            track, "display", {"text": text, "seconds": self.config.display_seconds}, context
        )
