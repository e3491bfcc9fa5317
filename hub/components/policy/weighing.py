"""Stable weight from any weight entity, for lanes whose weighbridge is not our driver (a SCADA tag, an
MQTT sensor). The entity's state changes only when the value does, so stability is a matter of time:
the readings stay within `band_kg` for `seconds` (a truck standing still sends nothing new). One weight
per vehicle; the bridge going back below `zero_kg` arms it for the next. Times are the hub's monotonic
clock; a timer looks again when the quiet time is up, since no new reading may come."""

from __future__ import annotations

import asyncio
import logging
import statistics

from hub.core import Context, Event, Hub
from hub.core.const import EVENT_WEIGHT_STABLE, STATE_UNAVAILABLE, STATE_UNKNOWN
from hub.core.events import EventStateChangedData, WeightStableData
from hub.core.gate import LaneBinding, WeightStability

_LOGGER = logging.getLogger(__name__)


class SteadyWeight:
    """Pure logic: feed (kg, time); `due(now)` gives the stable weight once it has held long enough."""

    def __init__(self, rule: WeightStability) -> None:
        self.rule = rule
        self.window: list[float] = []
        self.since: float | None = None
        self.armed = True

    def add(self, kg: float | None, now: float) -> None:
        """A new reading; None is no reading (the entity is unavailable): a gap is not steadiness."""
        if kg is None:
            self.window, self.since = [], None
            return
        if kg <= self.rule.zero_kg:
            self.armed, self.window, self.since = True, [], None
            return
        candidate = [*self.window, kg]
        if self.since is None or max(candidate) - min(candidate) > self.rule.band_kg:
            self.window, self.since = [kg], now
        else:
            self.window = candidate

    def due(self, now: float) -> int | None:
        if not self.armed or self.since is None or now - self.since < self.rule.seconds:
            return None
        if min(self.window) < self.rule.min_kg:
            return None
        self.armed = False
        return round(statistics.median(self.window))

    def wait_left(self, now: float) -> float | None:
        """Seconds until a steady weight could be due; None if nothing is pending."""
        if not self.armed or self.since is None:
            return None
        return max(0.0, self.rule.seconds - (now - self.since))


class LaneWeighing:
    """Follows one lane's weight entity and fires `weight_stable`, as our weighbridge driver does."""

    def __init__(self, hub: Hub, binding: LaneBinding, entity_id: str) -> None:
        self.hub = hub
        self.binding = binding
        self.entity_id = entity_id
        self.detector = SteadyWeight(binding.stable)
        self._timer: asyncio.TimerHandle | None = None

    def on_state(self, event: Event[EventStateChangedData]) -> None:
        new = event.data["new_state"]
        if new is not None and "last_stable_at" in new.attributes:
            return  # a weighbridge that announces its own stable weights (ours does): not twice
        kg: float | None = None
        if new is not None and new.state not in (STATE_UNAVAILABLE, STATE_UNKNOWN, ""):
            try:
                kg = float(new.state) * self.binding.weight_scale
            except ValueError:
                kg = None
        now = self.hub.clock.monotonic()
        self.detector.add(kg, now)
        self._check()

    def _check(self) -> None:
        now = self.hub.clock.monotonic()
        if (weight := self.detector.due(now)) is not None:
            self._fire(weight)
        self._rearm(self.detector.wait_left(now))

    def _rearm(self, delay: float | None) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if delay is not None:
            # A little past the quiet time: the monotonic clock must have moved past it when it fires.
            self._timer = asyncio.get_running_loop().call_later(delay + 0.01, self._check)

    def _fire(self, weight_kg: int) -> None:
        at = self.hub.now()
        _LOGGER.info("Lane %s: stable weight %d kg from %s", self.binding.key, weight_kg, self.entity_id)
        self.hub.bus.async_fire(
            EVENT_WEIGHT_STABLE,
            WeightStableData(gate=self.binding.gate, lane=self.binding.lane, weight_kg=weight_kg,
                             at=at.isoformat(), indicator=self.entity_id),
            Context(),
        )  # fmt: skip

    def stop(self) -> None:
        self._rearm(None)
