"""A lane's devices as the policy drives them: the barrier, the display, the alarm.

Our gate devices are driven by `barrier.<service>` with the lane, any other bound entity by its
platform's service (lanes.py says which). A denial shows its reason and sounds the alarm; a switch of
the alert level is shown on every lane whose driver is not being told something more urgent.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from hub.core import Context

from .const import Phase, Reason, Verdict
from .decide import render
from .passage import LaneTrack, Passage
from .rules import load_common

if TYPE_CHECKING:
    from hub.core import Hub

    from .config import PolicyConfig
    from .lanes import LaneWiring
    from .lifecycle import PassageLifecycle
    from .select import AlertLevelSelect

_LOGGER = logging.getLogger(__name__)
_PART = {"open": "barrier", "display": "display", "alarm": "alarm"}  # what each gate service drives


class LaneDevices:
    def __init__(self, hub: Hub, config: PolicyConfig, wiring: LaneWiring, lifecycle: PassageLifecycle,
                 alert: AlertLevelSelect) -> None:  # fmt: skip
        self.hub = hub
        self.config = config
        self.texts = {**load_common().display, **config.display}
        self.wiring = wiring
        self.lifecycle = lifecycle
        self.alert = alert  # the level in force, for the display texts
        self._warned: set[str] = set()

    def has(self, track: LaneTrack, what: str) -> bool:
        """Whether the lane has its barrier (`open`), `display` or `alarm` wired."""
        return self.wiring.command(track, _PART[what]) is not None

    def warn_once(self, tag: str, message: str, *args: Any) -> None:
        if tag not in self._warned:
            self._warned.add(tag)
            _LOGGER.warning(message, *args)

    async def async_actuate(self, track: LaneTrack, passage: Passage, context: Context) -> bool:
        """Open for allow; show the reason and sound the alarm for deny; show 'wait' for review."""
        verdict = passage.decision.verdict
        if verdict is Verdict.ALLOW:
            opened = await self.async_open(track, passage, context)
            released = passage.decision.reason_code == Reason.RELEASED
            await self.async_show(track, passage, "released" if released else "allow", context)
            return opened
        await self.async_show(track, passage, "deny" if verdict is Verdict.DENY else "review", context)
        if verdict is Verdict.DENY:
            if self.config.alarm_seconds and self.has(track, "alarm"):
                await self.async_drive(track, "alarm", {"seconds": self.config.alarm_seconds}, context)
            if passage.phase is not Phase.DENIED:
                self.lifecycle.set_phase(track, passage, Phase.DENIED)
        return False

    async def async_open(self, track: LaneTrack, passage: Passage, context: Context) -> bool:
        if not self.has(track, "open"):
            self.warn_once(
                f"barrier:{track.key}",
                "Policy: no barrier configured for lane %s; passages are recorded, nothing is opened",
                track.key,
            )
            self.lifecycle.set_phase(track, passage, Phase.CLOSED)
            return False
        barrier = track.binding.entity("barrier")
        cover = self.hub.states.get(barrier) if barrier else None
        passage.seen_open = cover is not None and cover.state in ("opening", "open")
        # The phase before the call: the cover may report at once.
        previous, passage.phase = passage.phase, Phase.OPENING
        if not await self.async_drive(track, "open", {}, context):
            passage.phase = previous
            passage.error = "道闸开启失败 barrier did not open"
            return False
        passage.error = None
        self.lifecycle.write(track, passage, Phase.OPENING)
        return True

    async def async_show(self, track: LaneTrack, passage: Passage, kind: str, context: Context) -> None:
        stage = self.alert.book.label("stages", passage.vehicle.get("emission_stage"))
        reason = passage.decision.reason_text
        await self._async_display(track, kind, context, plate=passage.plate, stage=stage, reason=reason)

    async def _async_display(self, track: LaneTrack, kind: str, context: Context, **fields: Any) -> None:
        if not self.has(track, "display"):
            return
        book, level = self.alert.book, self.alert.alert.level
        fields = {**fields, "level": book.label("levels", level), "response": book.label("response", level)}
        text = render(self.texts.get(kind, "{plate} {reason}" if "plate" in fields else "{level}"), fields)
        shown = {"text": text, "seconds": self.config.display_seconds}
        await self.async_drive(track, "display", shown, context)

    def show_alert(self, tracks: list[LaneTrack], context: Context) -> None:
        """The alert level's rules changed: lanes show it, unless their driver is being told why."""
        if not self.config.show_alert_on_displays:
            return
        for track in tracks:
            if not self._driver_waits(track):
                self.hub.async_create_task(self._async_display(track, "alert", context), name="policy alert")

    def _driver_waits(self, track: LaneTrack) -> bool:
        """A driver held at the barrier, or just denied, keeps the text that tells them why."""
        passage = track.current
        if passage is None:
            return False
        if passage.phase is Phase.DECIDED:
            return True
        recent = (self.hub.now() - passage.last_seen).total_seconds() < self.config.display_seconds
        return passage.phase in (Phase.DENIED, Phase.ERROR) and recent

    async def async_open_lane(self, track: LaneTrack, context: Context) -> bool:
        """Open the lane's barrier for no passage the policy decided (a person's opening by hand)."""
        return await self.async_drive(track, "open", {}, context)

    async def async_drive(
        self, track: LaneTrack, service: str, extra: dict[str, Any], context: Context
    ) -> bool:
        """Drive the lane's part: our gate devices by `barrier.<service>` with the lane, any other
        bound entity by its platform's service (lanes.py)."""
        command = self.wiring.command(track, _PART[service])
        if command is None:
            _LOGGER.error("Policy: lane %s has no %s to drive", track.key, _PART[service])
            return False
        domain, name, target = command
        if domain == "barrier":
            data = {**target, **extra}
        elif domain == "text":
            data = {**target, "value": extra["text"][:255]}
        else:
            data = dict(target)
        if context.user_id is not None:
            # The hub moves the lane's devices; the person's own call (a release, an alert switch) is
            # what is authorised and audited, and their role need not include the barrier's.
            context = Context(parent_id=context.id)
        try:
            await self.hub.services.async_call(domain, name, data, context)
        except Exception as err:
            _LOGGER.error("Policy: %s.%s at %s failed: %s", domain, name, track.key, err)
            return False
        if domain == "switch" and extra.get("seconds"):  # an alarm lamp of the plant's: off again later
            self.hub.async_create_task(
                self._async_switch_off(data, float(extra["seconds"]), context), name=f"alarm off {track.key}"
            )
        return True

    async def _async_switch_off(self, data: dict[str, Any], seconds: float, context: Context) -> None:
        await asyncio.sleep(seconds)
        try:
            await self.hub.services.async_call("switch", "turn_off", data, context)
        except Exception as err:
            _LOGGER.error("Policy: switching off %s failed: %s", data["entity_id"], err)
