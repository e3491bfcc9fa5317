"""Conditions (state, numeric_state, time, template, trigger, and/or/not), checked against the hub now."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

from hub.core.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from hub.core.state import State, valid_entity_id

from .runtime import Runtime
from .schema import (
    WEEKDAYS,
    LogicCondition,
    NumericStateCondition,
    StateCondition,
    TemplateCondition,
    TimeCondition,
    TriggerCondition,
    parse_duration,
)
from .templates import TemplateError, is_template

AnyCondition = (
    StateCondition
    | NumericStateCondition
    | TimeCondition
    | TemplateCondition
    | TriggerCondition
    | LogicCondition
)


def as_number(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number else None  # NaN is no reading


def limit_value(rt: Runtime, limit: float | str | None, variables: Mapping[str, Any]) -> float | None:
    """A bound of numeric_state: a number, an entity whose state is one, or a template."""
    if limit is None or isinstance(limit, float | int):
        return limit
    if is_template(limit):
        return as_number(rt.templates.render(limit, variables))
    if valid_entity_id(limit):
        state = rt.hub.states.get(limit)
        return as_number(state.state) if state is not None else None
    return as_number(limit)


def state_number(
    rt: Runtime,
    state: State | None,
    attribute: str | None,
    template: str | None,
    variables: Mapping[str, Any],
) -> float | None:
    """The number a numeric_state trigger or condition compares (None: not a number, no state)."""
    if state is None:
        return None
    if template is not None:
        return as_number(rt.templates.render(template, {**variables, "state": state}))
    if attribute is not None:
        return as_number(state.attributes.get(attribute))
    if state.state in (STATE_UNKNOWN, STATE_UNAVAILABLE):
        return None
    return as_number(state.state)


def in_range(rt: Runtime, value: float | None, above: Any, below: Any, variables: Mapping[str, Any]) -> bool:
    if value is None:
        return False
    if above is not None:
        bound = limit_value(rt, above, variables)
        if bound is None or not value > bound:
            return False
    if below is not None:
        bound = limit_value(rt, below, variables)
        if bound is None or not value < bound:
            return False
    return True


def time_in_window(now: time, after: time | None, before: time | None) -> bool:
    """after <= now < before; a window past midnight (22:00 to 06:00) wraps."""
    if after is not None and before is not None and before < after:
        return now >= after or now < before
    if after is not None and now < after:
        return False
    return not (before is not None and now >= before)


def check(rt: Runtime, cond: AnyCondition, variables: Mapping[str, Any]) -> bool:
    """Whether the condition holds; a template that fails raises TemplateError (the run reports it)."""
    if not cond.enabled:
        return True
    if isinstance(cond, LogicCondition):
        results = (check(rt, inner, variables) for inner in cond.conditions)
        if cond.condition == "and":
            return all(results)
        if cond.condition == "or":
            return any(results)
        return not any(results)
    if isinstance(cond, StateCondition):
        now = rt.hub.clock.now()
        for entity_id in cond.entity_id:
            state = rt.hub.states.get(entity_id)
            if state is None:
                return False
            value = state.attributes.get(cond.attribute) if cond.attribute else state.state
            if cond.state is not None and str(value) not in cond.state:
                return False
            if cond.for_ is not None and state.last_changed is not None:
                seconds = seconds_of(rt, cond.for_, variables)
                if (now - state.last_changed).total_seconds() < seconds:
                    return False
        return True
    if isinstance(cond, NumericStateCondition):
        return all(
            in_range(
                rt,
                state_number(rt, rt.hub.states.get(e), cond.attribute, cond.value_template, variables),
                cond.above, cond.below, variables,
            )
            for e in cond.entity_id
        )  # fmt: skip
    if isinstance(cond, TimeCondition):
        now = rt.hub.now()
        if cond.weekday is not None and WEEKDAYS[now.weekday()] not in cond.weekday:
            return False
        return time_in_window(now.time().replace(tzinfo=None), cond.after, cond.before)
    if isinstance(cond, TemplateCondition):
        return rt.templates.truth(cond.value_template, variables)
    if isinstance(cond, TriggerCondition):
        trigger = variables.get("trigger")
        return isinstance(trigger, Mapping) and str(trigger.get("id")) in cond.id
    raise TemplateError(f"unknown condition {cond!r}")


def seconds_of(rt: Runtime, duration: float | str, variables: Mapping[str, Any]) -> float:
    """A duration as seconds; a template may give seconds or HH:MM:SS."""
    if isinstance(duration, str):
        rendered = rt.templates.render(duration, variables)
        try:
            return float(parse_duration(str(rendered) if not isinstance(rendered, int | float) else rendered))
        except (TypeError, ValueError):
            raise TemplateError(f"{duration!r} gave {rendered!r}: no duration") from None
    return duration
