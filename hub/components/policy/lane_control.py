"""A plate read becomes a decision, a ledger row, then a barrier movement: one lane at a time.

Per lane, reads are decided one at a time in the order they came (the lane's lock); lanes do not wait
for each other. The passage row is committed (`ledger.record_passage`, which returns after the
commit) before any barrier, display or alarm service is called: if the ledger does not take it,
nothing moves, the lane's decision sensor shows `error`, and the read is recorded later
(`refused.py`).

A repeat read of the lane's current plate within `merge_seconds` of its last read is the same
passage (the truck waited, or the camera saw it again as it drove through): merged here, the one
place that merges reads into passages. The camera's own `anpr.merge_seconds` (5 s) is a different
thing: it de-bounces the frames of one sighting before any read exists (a video stream sees the
plate in many frames), so that a camera announces a vehicle once; a read it lets through may still
be a repeat of the passage, and that is decided here with the passage in view.

A read older than `read_max_age_seconds` (it waited behind a ledger that could not record) is never
acted on: it is recorded as `read_expired`, held for the guard, and the barrier stays shut. Ages and
the repeat window are measured on the monotonic clock, so NTP steps of the wall clock (which is only
recorded) make no read look fresh or stale.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub.core import Context, Event
from hub.core.const import EVENT_GATE_DECISION
from hub.core.events import PlateReadData
from hub.core.faults import ThrottledLog

from . import tags
from .const import Phase, Reason, Verdict
from .decide import Decision
from .incoming import BadRead, Incoming, parse_read
from .online_check import async_decide
from .passage import LaneTrack, Passage

if TYPE_CHECKING:
    from .manager import PolicyManager

_LOGGER = logging.getLogger(__name__)


class LaneController:
    def __init__(self, manager: PolicyManager) -> None:
        self.manager = manager
        self.hub = manager.hub
        self.config = manager.config
        self._log = ThrottledLog(_LOGGER)  # a full disk refuses every read: a line now and then

    def on_plate_read(self, event: Event[PlateReadData]) -> None:
        try:
            incoming = parse_read(event.data, received=self.hub.clock.monotonic())
        except BadRead as err:
            _LOGGER.error("Policy: plate_read %s ignored: %s", event.data.get("read_id"), err)
            return
        self.hub.async_create_task(self.async_handle(incoming, event.context), name="policy decide")

    async def async_handle(self, incoming: Incoming, context: Context) -> Passage | None:
        m = self.manager
        track = m.lane(incoming.gate, incoming.lane)
        async with track.lock:
            now = self.hub.now()
            if self._expired(incoming):  # it waited behind a ledger that could not record
                return await self._async_expired(track, incoming, context)
            tag = incoming.rfid or m.wiring.recent_tag(track)
            incoming = replace(incoming, rfid=tag)  # the tag seen with the read is kept on its row
            by_tag = await tags.async_tag_record(m, tag, context) if tag else None
            from_tag = False  # a lane with no plate camera: the tag names the vehicle (tags.py)
            if by_tag is not None and not incoming.read.plate:
                incoming, from_tag = tags.identified(incoming, by_tag), True
            current = track.current
            if current is not None and self._merges(current, incoming, now):
                current.last_seen, current.merged_reads = now, current.merged_reads + 1
                current.seen_monotonic = self.hub.clock.monotonic()
                track.write_state(context)
                if current.phase is Phase.DENIED:  # the driver is still there: show why again
                    await m.devices.async_show(track, current, "deny", context)
                return None
            if current is not None:
                m.lifecycle.supersede(track, current)
            if from_tag:
                record, failed = by_tag, False
            else:
                record, failed = await m.register.async_lookup(incoming.read, context)
            alert = m.select.current(now)
            # The platform may be asked too (online_check.py), within its time budget.
            decision, vehicle = await async_decide(
                m, incoming, record, failed, level=alert.level, measure_code=alert.measure_code, when=now
            )
            if by_tag is not None and not from_tag and not failed and tags.disagrees(by_tag, record):
                enforced = incoming.read.direction in m.book.options.enforce_directions
                decision = tags.mismatch_decision(decision, str(tag), by_tag, enforced)
            passage = self._new_passage(incoming, decision, alert.level, now, vehicle)
            return await self._async_record_and_act(track, passage, incoming, context)

    def _merges(self, current: Passage, incoming: Incoming, now: datetime) -> bool:
        if current.seen_monotonic is not None:
            since = self.hub.clock.monotonic() - current.seen_monotonic
        else:  # a passage adopted from the ledger after a restart
            since = (now - current.last_seen).total_seconds()
        return (
            current.phase is not Phase.ERROR
            and current.decision.reason_code != Reason.READ_EXPIRED  # a fresh read decides anew
            and current.plate == incoming.read.plate
            and current.direction == incoming.read.direction
            and since < self.config.merge_seconds
        )

    def _new_passage(
        self, incoming: Incoming, decision: Decision, level: str, now: datetime, vehicle: dict[str, Any]
    ) -> Passage:
        read = incoming.read
        return Passage(
            passage_id=str(uuid.uuid4()), read_id=incoming.read_id, gate=incoming.gate, lane=incoming.lane,
            direction=read.direction, plate=read.plate, colour=read.colour, decision=decision,
            alert_level=level, created_at=now, last_seen=now, confidence=read.confidence, vehicle=vehicle,
            seen_monotonic=self.hub.clock.monotonic(),
        )  # fmt: skip

    async def _async_record_and_act(
        self, track: LaneTrack, passage: Passage, incoming: Incoming, context: Context
    ) -> Passage:
        m = self.manager
        track.current = passage
        m.passages.add(passage)
        row = passage_row(passage, incoming)
        try:
            result = await self.hub.services.async_call("ledger", "record_passage", row, context)
        except Exception as err:
            await self._async_ledger_failed(track, passage, err, context)
            m.refused.put(passage, row, incoming.received)
            return passage
        m.refused.kick()  # the ledger takes rows: what it refused before goes in now
        passage.seq = result["seq"]
        passage.phase = Phase.DECIDED
        m.lifecycle.note_arrival(track, passage)
        # An expired read is recorded for the guard, and nothing at the lane moves for it.
        if passage.decision.reason_code != Reason.READ_EXPIRED:
            if self._expired(incoming):  # the commit itself took that long (a lock held elsewhere)
                await self._async_expired_after_commit(track, passage, incoming)
            else:
                await m.devices.async_actuate(track, passage, context)
        self.announce(track, passage, context)
        return passage

    def announce(self, track: LaneTrack, passage: Passage, context: Context) -> None:
        track.write_state(context)
        self.hub.bus.async_fire(EVENT_GATE_DECISION, passage.event_data(), context)

    # ----- reads that waited too long, reads the ledger did not take ------------------------------
    def _age(self, incoming: Incoming) -> float:
        return self.hub.clock.monotonic() - incoming.received

    def _expired(self, incoming: Incoming) -> bool:
        return self._age(incoming) > self.config.read_max_age_seconds

    def reason_text(self, code: str, age: float) -> str:
        text = self.manager.book.texts.get(code, code)
        return text.replace("{age}", f"{age:.0f}") if code == Reason.READ_EXPIRED else text

    async def _async_expired(self, track: LaneTrack, incoming: Incoming, context: Context) -> Passage:
        """Record the read as expired, for the guard; decide nothing, move nothing."""
        age = self._age(incoming)
        self._log.log(
            "expired", logging.WARNING, "Policy: read %s of %s at %s is %.0f s old: recorded as expired",
            incoming.read_id, incoming.read.plate, track.key, age,
        )  # fmt: skip
        if track.current is not None:
            self.manager.lifecycle.supersede(track, track.current)
        now = self.hub.now()
        reason = Decision(
            Verdict.REVIEW, Reason.READ_EXPIRED, self.reason_text(Reason.READ_EXPIRED, age), needs_review=True
        )
        level = self.manager.select.current(now).level
        passage = self._new_passage(incoming, reason, level, now, {"registered": None})
        return await self._async_record_and_act(track, passage, incoming, context)

    async def _async_expired_after_commit(
        self, track: LaneTrack, passage: Passage, incoming: Incoming
    ) -> None:
        """Committed as decided, but too late to act on: the barrier stays shut, a lifecycle row says
        the passage was interrupted because its read expired, and the guard sees an error with why."""
        text = self.reason_text(Reason.READ_EXPIRED, self._age(incoming))
        passage.phase = Phase.ERROR
        passage.error = f"{passage.decision.verdict.value}: {passage.decision.reason_text}; {text}"
        passage.decision = replace(passage.decision, reason_code=Reason.READ_EXPIRED, reason_text=text)
        try:
            await self.hub.services.async_call(
                "ledger", "record_followup",
                {"passage_id": passage.passage_id, "kind": "lifecycle",
                 "data": {"state": Phase.INTERRUPTED.value, "reason_code": str(Reason.READ_EXPIRED)},
                 "reason": text},
                Context(),
            )  # fmt: skip
        except Exception as err:
            _LOGGER.error("Policy: expiry of passage %s not recorded: %s", passage.passage_id, err)

    async def _async_ledger_failed(
        self, track: LaneTrack, passage: Passage, err: Exception, context: Context
    ) -> None:
        self._log.log(
            "ledger", logging.ERROR, "Policy: ledger did not record %s at %s (%s); barrier NOT opened",
            passage.plate, track.key, err,
        )  # fmt: skip
        passage.phase = Phase.ERROR
        passage.error = f"{passage.decision.verdict.value}: {passage.decision.reason_text}; {err}"
        text = self.manager.book.texts.get("ledger_failed", "ledger_failed")
        passage.decision = replace(passage.decision, reason_code=Reason.LEDGER_FAILED, reason_text=text)
        await self.manager.devices.async_show(track, passage, "error", context)
        self.announce(track, passage, context)


def passage_row(passage: Passage, incoming: Incoming) -> dict[str, Any]:
    """The passage row `ledger.record_passage` commits."""
    d = passage.decision
    return {
        "passage_id": passage.passage_id, "read_id": passage.read_id, "gate": passage.gate,
        "lane": passage.lane, "direction": passage.direction, "plate": passage.plate,
        "colour": passage.colour, "vehicle_class": d.vehicle_class, "vehicle": passage.vehicle,
        "decision": d.verdict.value, "reason_code": str(d.reason_code), "reason_text": d.reason_text,
        "rule": d.rule, "alert_level": passage.alert_level, "confidence": passage.confidence,
        "needs_review": d.needs_review, "captured_at": incoming.captured_at,
        "photos": incoming.photos, "rfid": incoming.rfid,  # photo references (hub.photos), the tag
    }  # fmt: skip
