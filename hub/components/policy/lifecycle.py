"""The passage lifecycle: (arrived ->) new -> decided -> opening -> passed -> closed, or denied, or
interrupted. On a lane with a presence detector, `arrived` is when it saw the vehicle (written once the
passage is recorded) and `passed` is when it clears after the barrier opened; elsewhere the barrier's
cover tells when an allowed vehicle has passed (it starts closing). Each step is written to the
ledger as a `lifecycle` follow-up, behind the lane's earlier ones so they land in order. Steps the
ledger cannot take now (a full disk, a lock held elsewhere) keep their place and are tried again every
second, up to MAX_WAITING a lane. On start-up, passages a crash left open are closed as interrupted.
A new vehicle at the lane ends the passage before it (`supersede`). The weight step is `weight_join.py`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from hub.core import Context, Event, ServiceValidationError
from hub.core.events import EventStateChangedData
from hub.core.faults import ThrottledLog

from .const import Phase, Verdict
from .passage import LaneTrack, Passage, Step

if TYPE_CHECKING:
    from hub.core import Hub

_LOGGER = logging.getLogger(__name__)
MAX_STEPS = 1000  # lifecycle steps in one call to the ledger (its limit)
MAX_WAITING = 10_000  # steps a lane keeps while the ledger refuses them; the oldest go beyond
RETRY_SECONDS = 1.0
_THROTTLED = ThrottledLog(_LOGGER)


class PassageLifecycle:
    """The passage state machine of every lane (the lanes are the policy's; this only reads them)."""

    def __init__(self, hub: Hub, lanes: dict[str, LaneTrack], recovery_hours: float) -> None:
        self.hub = hub
        self.lanes = lanes
        self.recovery_hours = recovery_hours

    async def async_recover(self) -> None:
        """Passages a crash left open are closed as interrupted (docs/architecture.md: one passage)."""
        try:
            rows = await self.hub.services.async_call(
                "ledger", "open_passages", {"within_hours": self.recovery_hours}
            )
        except Exception as err:
            _LOGGER.error("Policy: cannot list open passages for recovery: %s", err)
            return
        steps: list[Step] = [(row["passage_id"], Phase.INTERRUPTED, {}) for row in rows]
        for start in range(0, len(steps), MAX_STEPS):
            await self._async_record_lifecycle(steps[start : start + MAX_STEPS])
        if rows:
            _LOGGER.warning(
                "Policy: %d passage(s) left open by the last run closed as interrupted", len(rows)
            )

    # ----- what the lane reports -----------------------------------------------------------------
    def on_cover(self, event: Event[EventStateChangedData]) -> None:
        """Our barriers, found by name (`cover.<lane>_barrier`); bound covers come through the wiring."""
        entity_id, new = event.data["entity_id"], event.data.get("new_state")
        if new is None or not entity_id.endswith("_barrier") or self._bound(entity_id):
            return
        track = self.lanes.get(entity_id[len("cover.") : -len("_barrier")])
        if track is not None and track.binding.barrier is None:
            self.barrier_moved(track, new.state)

    def _bound(self, entity_id: str) -> bool:
        return any(track.binding.barrier == entity_id for track in self.lanes.values())

    def barrier_moved(self, track: LaneTrack, position: str) -> None:
        passage = track.current
        if passage is None or passage.decision.verdict is not Verdict.ALLOW:
            return
        if position in ("opening", "open"):
            if passage.phase is Phase.DECIDED:  # opened by hand after barrier.open had failed
                self.set_phase(track, passage, Phase.OPENING)
            passage.seen_open = passage.seen_open or passage.phase is Phase.OPENING
            return
        if not passage.seen_open:
            return
        # With a presence detector the vehicle's leaving says `passed`; the arm only says `closed`.
        by_arm = not track.binding.presence
        if position in ("closing", "closed") and passage.phase is Phase.OPENING and by_arm:
            self.set_phase(track, passage, Phase.PASSED)
        if position == "closed" and passage.phase is Phase.PASSED:
            self.set_phase(track, passage, Phase.CLOSED)

    def presence_changed(self, track: LaneTrack, on: bool) -> None:
        if on:
            track.arrived_at = self.hub.now()
            return
        passage = track.current
        if passage is None or passage.phase is not Phase.OPENING or not passage.seen_open:
            return
        self.set_phase(track, passage, Phase.PASSED)
        barrier = track.binding.entity("barrier")
        cover = self.hub.states.get(barrier) if barrier else None
        if cover is not None and cover.state == "closed":  # the arm came down before the loop cleared
            self.set_phase(track, passage, Phase.CLOSED)

    def note_arrival(self, track: LaneTrack, passage: Passage) -> None:
        """On a lane with a presence detector: the vehicle standing there arrived at `arrived_at`."""
        if track.binding.presence and track.presence and track.arrived_at is not None:
            self.write(track, passage, Phase.ARRIVED, {"at": track.arrived_at.isoformat()})

    def supersede(self, track: LaneTrack, passage: Passage) -> None:
        """A new vehicle at the lane ends the passage before it, if it was still going."""
        if passage.finished or passage.seq is None:
            return
        if passage.phase is Phase.DECIDED and passage.decision.verdict is not Verdict.ALLOW:
            self.set_phase(track, passage, Phase.DENIED)  # held for review, never let in
        else:
            self.set_phase(track, passage, Phase.CLOSED)

    # ----- the rows ------------------------------------------------------------------------------
    def set_phase(self, track: LaneTrack, passage: Passage, phase: Phase) -> None:
        passage.phase = phase
        self.write(track, passage, phase)
        if track.current is passage:
            track.write_state()

    def write(
        self, track: LaneTrack, passage: Passage, phase: Phase, extra: dict[str, Any] | None = None
    ) -> None:
        """Queue the lifecycle row behind the lane's earlier ones, so they land in order.

        One task a lane writes what is queued, all of it in one call: steps that come while a call
        is under way go together in the next, so a lane never has more than one call outstanding."""
        if passage.seq is None:
            return
        track.lifecycle_steps.append((passage.passage_id, phase, extra or {}))
        if track.lifecycle_writer is None or track.lifecycle_writer.done():
            track.lifecycle_writer = self.hub.async_create_task(
                self._async_write_lane_lifecycle(track), name=f"policy lifecycle {track.key}"
            )

    async def _async_write_lane_lifecycle(self, track: LaneTrack) -> None:
        while track.lifecycle_steps:
            steps = track.lifecycle_steps[:MAX_STEPS]
            del track.lifecycle_steps[:MAX_STEPS]
            if await self._async_record_lifecycle(steps):
                continue
            track.lifecycle_steps[:0] = steps  # before the newer ones: they land in order
            if (overflow := len(track.lifecycle_steps) - MAX_WAITING) > 0:
                del track.lifecycle_steps[:overflow]
                _THROTTLED.log(
                    "dropped", logging.ERROR, "Policy: %d lifecycle step(s) at %s dropped: the ledger "
                    "refused rows for too long", overflow, track.key,
                )  # fmt: skip
            await asyncio.sleep(RETRY_SECONDS)

    async def _async_record_lifecycle(self, steps: list[Step]) -> bool:
        """Write the steps; False if the ledger could not take them now (worth another try)."""
        followups = [
            {"passage_id": passage_id, "kind": "lifecycle", "data": {"state": phase.value, **extra}}
            for passage_id, phase, extra in steps
        ]
        try:
            result = await self.hub.services.async_call(
                "ledger", "record_followups", {"followups": followups}, Context()
            )
        except ServiceValidationError as err:  # they will never fit: say so, do not retry
            _LOGGER.error("Policy: %d lifecycle step(s) refused by the ledger: %s", len(steps), err)
            return True
        except Exception as err:
            _THROTTLED.log("failed", logging.WARNING, "Policy: lifecycle steps wait for the ledger: %s", err)
            return False
        for (passage_id, phase, _extra), record in zip(steps, result["records"], strict=True):
            if "error" in record:
                error = record["error"]
                _LOGGER.warning("Policy: lifecycle %s of %s not recorded: %s", phase, passage_id, error)
        return True
