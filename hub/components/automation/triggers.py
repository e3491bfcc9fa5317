"""Triggers: each kind subscribes to the hub and calls `fire(variables, context)` when it happens.

`attach` returns the unsubscribe. Semantics are Home Assistant's: a state trigger with from/to fires
on state changes only (attributes alone need `attribute:`), a numeric_state trigger fires when the
value crosses into the range (not again while it stays there), `for:` holds a trigger back until the
condition has lasted that long on the hub's clock and forgets it when the condition breaks first.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from hub.core import Context, Event, State
from hub.core.events import EventStateChangedData
from hub.core.track import async_track_state_change_event

from .conditions import in_range, seconds_of, state_number
from .describe import described
from .passages import EVENTS as PASSAGE_EVENTS
from .passages import passage_matches
from .runtime import Runtime
from .schema import (
    WEEKDAYS,
    EventTrigger,
    MqttTrigger,
    NumericStateTrigger,
    PassageTrigger,
    StateTrigger,
    TimePatternTrigger,
    TimeTrigger,
)
from .templates import TemplateError

_LOGGER = logging.getLogger(__name__)
Fire = Callable[[dict[str, Any], Context | None], None]
Unsub = Callable[[], None]
AnyTrigger = (
    StateTrigger | NumericStateTrigger | EventTrigger | TimeTrigger | TimePatternTrigger | MqttTrigger
    | PassageTrigger
)  # fmt: skip


class TriggerSetupError(Exception):
    """A trigger that cannot be attached (an mqtt trigger without the mqtt integration)."""


def attach(rt: Runtime, trig: AnyTrigger, idx: int, fire: Fire, variables: Mapping[str, Any]) -> Unsub:
    base = {"platform": trig.trigger, "id": trig.id if trig.id is not None else str(idx), "idx": str(idx)}

    def fire_with(data: dict[str, Any], context: Context | None) -> None:
        trigger_vars = {**base, **data}
        if trig.variables:
            trigger_vars.update(
                rt.templates.render_complex(trig.variables, {**variables, "trigger": trigger_vars})
            )
        fire(trigger_vars, context)

    kinds: dict[type, Callable[..., Unsub]] = {
        StateTrigger: _state, NumericStateTrigger: _numeric_state, EventTrigger: _event, TimeTrigger: _time,
        TimePatternTrigger: _time_pattern, MqttTrigger: _mqtt, PassageTrigger: _passage,
    }  # fmt: skip
    return kinds[type(trig)](rt, trig, fire_with, variables)


def _both(*unsubs: Unsub) -> Unsub:
    def unsubscribe() -> None:
        for unsub in unsubs:
            unsub()

    return unsubscribe


class _Holds:
    """Per entity, a `for:` spell being waited out: its timer's cancel."""

    def __init__(self) -> None:
        self.pending: dict[str, Unsub] = {}

    def start(self, rt: Runtime, entity_id: str, seconds: float, then: Callable[[], None]) -> None:
        self.cancel(entity_id)

        def done() -> None:
            self.pending.pop(entity_id, None)
            then()

        self.pending[entity_id] = rt.timers.call_later(seconds, done)

    def cancel(self, entity_id: str) -> None:
        cancel = self.pending.pop(entity_id, None)
        if cancel is not None:
            cancel()

    def cancel_all(self) -> None:
        for entity_id in list(self.pending):
            self.cancel(entity_id)


def _state(rt: Runtime, trig: StateTrigger, fire: Fire, variables: Mapping[str, Any]) -> Unsub:
    given = trig.model_fields_set
    only_states = trig.attribute is None and bool(given & {"from_", "to", "not_from", "not_to"})
    holds = _Holds()

    def value(state: State | None) -> Any:
        if state is None:
            return None
        return state.attributes.get(trig.attribute) if trig.attribute else state.state

    def to_matches(new: State | None) -> bool:
        new_value = None if new is None else str(value(new))
        if trig.to is not None and new_value not in trig.to:
            return False
        return not (trig.not_to is not None and new_value in trig.not_to)

    def on_change(event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        old, new = event.data.get("old_state"), event.data.get("new_state")
        if new is None:
            holds.cancel(entity_id)
            return
        if trig.for_ is not None and entity_id in holds.pending:
            if to_matches(new) and value(old) == value(new):
                return  # an attribute changed; the state being waited out goes on
            holds.cancel(entity_id)
        if value(old) == value(new) and (only_states or trig.attribute is not None):
            return
        old_value = None if old is None else str(value(old))
        if trig.from_ is not None and old_value not in trig.from_:
            return
        if trig.not_from is not None and old_value in trig.not_from:
            return
        if not to_matches(new):
            return
        data = {"entity_id": entity_id, "from_state": old, "to_state": new, "attribute": trig.attribute}
        if trig.for_ is None:
            fire({**data, "for": None, **described("state", entity_id=entity_id)}, new.context)
            return
        seconds = seconds_of(rt, trig.for_, {**variables, "trigger": data})
        said = described("state_for", entity_id=entity_id, seconds=seconds)
        holds.start(rt, entity_id, seconds, lambda: fire({**data, "for": seconds, **said}, new.context))

    unsub = async_track_state_change_event(rt.hub, trig.entity_id, on_change)
    return _both(unsub, holds.cancel_all)


def _numeric_state(rt: Runtime, trig: NumericStateTrigger, fire: Fire, variables: Mapping[str, Any]) -> Unsub:
    holds = _Holds()

    def matches(state: State | None) -> bool:
        number = state_number(rt, state, trig.attribute, trig.value_template, variables)
        return in_range(rt, number, trig.above, trig.below, variables)

    # Armed: the value is outside the range, so entering it fires. Entities already inside at start
    # fire only after they have left the range once (as Home Assistant does).
    armed = {e for e in trig.entity_id if not _safe(matches, rt.hub.states.get(e))}

    def on_change(event: Event[EventStateChangedData]) -> None:
        entity_id = event.data["entity_id"]
        old, new = event.data.get("old_state"), event.data.get("new_state")
        if new is None or not matches(new):
            armed.add(entity_id)
            holds.cancel(entity_id)
            return
        if entity_id not in armed:
            return
        armed.discard(entity_id)
        data = {"entity_id": entity_id, "from_state": old, "to_state": new, "above": trig.above,
                "below": trig.below, "attribute": trig.attribute}  # fmt: skip
        if trig.for_ is None:
            fire({**data, "for": None, **described("numeric_state", entity_id=entity_id)}, new.context)
            return
        seconds = seconds_of(rt, trig.for_, {**variables, "trigger": data})

        def held() -> None:
            current = rt.hub.states.get(entity_id)
            said = described("numeric_state_for", entity_id=entity_id, seconds=seconds)
            fire({**data, "to_state": current or new, "for": seconds, **said}, new.context)

        holds.start(rt, entity_id, seconds, held)

    unsub = async_track_state_change_event(rt.hub, trig.entity_id, on_change)
    return _both(unsub, holds.cancel_all)


def _safe(check: Callable[[State | None], bool], state: State | None) -> bool:
    try:
        return check(state)
    except TemplateError as err:
        _LOGGER.warning("Automation numeric_state: %s", err)
        return False


def _subset(wanted: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    for key, value in wanted.items():
        if key not in data:
            return False
        if isinstance(value, Mapping) and isinstance(data[key], Mapping):
            if not _subset(value, data[key]):
                return False
        elif data[key] != value and str(data[key]) != str(value):
            return False
    return True


def _event(rt: Runtime, trig: EventTrigger, fire: Fire, variables: Mapping[str, Any]) -> Unsub:
    wanted = rt.templates.render_complex(trig.event_data, variables)  # a wait's data may name the run's truck

    def on_event(event: Event) -> None:
        if wanted and not _subset(wanted, event.data):
            return
        fire({"event": event.as_dict(), **described("event", event_type=event.event_type)}, event.context)

    return _both(*[rt.hub.bus.async_listen(t, on_event) for t in trig.event_type])


class _Rescheduling:
    """A wall-clock trigger: wait for the next moment, fire, wait for the one after."""

    def __init__(
        self, rt: Runtime, next_after: Callable[[datetime], datetime], on_time: Callable[[datetime], None]
    ):
        self.rt, self.next_after, self.on_time = rt, next_after, on_time
        self.cancel: Unsub | None = None
        self.due = self.next_after(rt.hub.now())
        self.cancel = rt.timers.call_at(self.due, self._fire)

    def _fire(self) -> None:
        due = self.due
        now = self.rt.hub.now()
        self.due = self.next_after(max(now, due))
        self.cancel = self.rt.timers.call_at(self.due, self._fire)
        if now - due < timedelta(minutes=1):  # a clock stepped far past it: not fired late
            self.on_time(due)

    def stop(self) -> None:
        if self.cancel is not None:
            self.cancel()


def _time(rt: Runtime, trig: TimeTrigger, fire: Fire, variables: Mapping[str, Any]) -> Unsub:
    def next_after(now: datetime) -> datetime:
        candidates = []
        for day in range(0, 8):
            date = (now + timedelta(days=day)).date()
            if trig.weekday is not None and WEEKDAYS[date.weekday()] not in trig.weekday:
                continue
            for at in trig.at:
                moment = datetime.combine(date, at, tzinfo=now.tzinfo)
                if moment > now:
                    candidates.append(moment)
            if candidates:
                break
        return min(candidates)

    timer = _Rescheduling(
        rt, next_after, lambda due: fire({"now": due, **described("time", time=f"{due:%H:%M:%S}")}, None)
    )
    return timer.stop


def _values(pattern: str | None, default: str, top: int) -> list[int]:
    pattern = pattern if pattern is not None else default
    if pattern == "*":
        return list(range(top))
    if pattern.startswith("/"):
        step = int(pattern[1:]) or 1
        return list(range(0, top, step))
    return [int(pattern)] if int(pattern) < top else []


def _time_pattern(rt: Runtime, trig: TimePatternTrigger, fire: Fire, variables: Mapping[str, Any]) -> Unsub:
    # As in HA: a unit left out below one that is given is 0, every value otherwise.
    hours = _values(trig.hours, "*", 24)
    minutes = _values(trig.minutes, "0" if trig.hours is not None else "*", 60)
    given_above = trig.hours is not None or trig.minutes is not None
    seconds = _values(trig.seconds, "0" if given_above else "*", 60)
    if not (hours and minutes and seconds):
        raise TriggerSetupError("the time pattern matches no time of day")

    def next_after(now: datetime) -> datetime:
        for day in range(0, 2):
            date = (now + timedelta(days=day)).date()
            today = day == 0
            for h in hours:
                if today and h < now.hour:
                    continue
                for m in minutes:
                    if today and h == now.hour and m < now.minute:
                        continue
                    for s in seconds:
                        moment = datetime(date.year, date.month, date.day, h, m, s, tzinfo=now.tzinfo)
                        if moment > now:
                            return moment
        raise AssertionError("a time pattern matches every day")

    timer = _Rescheduling(
        rt,
        next_after,
        lambda due: fire({"now": due, **described("time_pattern", time=f"{due:%H:%M:%S}")}, None),
    )
    return timer.stop


def _mqtt(rt: Runtime, trig: MqttTrigger, fire: Fire, variables: Mapping[str, Any]) -> Unsub:
    client = rt.hub.data.get("mqtt")
    subscribe = getattr(client, "async_subscribe", None)
    if subscribe is None:
        raise TriggerSetupError("an mqtt trigger needs the mqtt integration configured")

    def on_message(topic: str, payload: bytes, retained: bool) -> None:
        try:
            text = payload.decode(trig.encoding)
        except (UnicodeDecodeError, LookupError):
            _LOGGER.debug("Automation mqtt trigger: payload on %s is not %s", topic, trig.encoding)
            return
        try:
            payload_json = json.loads(text)
        except ValueError:
            payload_json = None
        data = {
            "topic": topic,
            "payload": text,
            "payload_json": payload_json,
            "qos": trig.qos,
            "retain": retained,
        }
        if trig.payload is not None:
            value = text
            if trig.value_template is not None:
                value = str(
                    rt.templates.render(
                        trig.value_template,
                        {**variables, "value": text, "value_json": payload_json},
                        native=False,
                    )
                )
            if value != trig.payload:
                return
        fire({**data, **described("mqtt", topic=topic)}, None)

    return subscribe(trig.topic, on_message, trig.qos)


def _passage(rt: Runtime, trig: PassageTrigger, fire: Fire, variables: Mapping[str, Any]) -> Unsub:
    filters = {"gate": trig.gate, "lane": trig.lane, "vehicle_class": trig.vehicle_class,
               "decision": trig.decision, "direction": trig.direction}  # fmt: skip
    wanted = set(trig.stage)

    def on_event(event: Event) -> None:
        stages, passage = rt.passages.stages_of(event)
        hit = next((s for s in stages if s in wanted), None)
        if hit is None or not passage_matches(passage, filters):
            return
        said = described("passage", stage=hit, gate=str(passage.get("gate")), lane=str(passage.get("lane")))
        fire({"stage": hit, "passage": passage, **said}, event.context)

    return _both(*[rt.hub.bus.async_listen(t, on_event) for t in PASSAGE_EVENTS])
