"""Home Assistant's automation schema as pydantic models: triggers, conditions, actions, modes.

Both spellings HA accepts are read: `trigger:`/`triggers:`, `platform: state`/`trigger: state`,
`service: x.y`/`action: x.y`. Fields that may hold a template stay text here and are rendered at
run time. Unknown keys are errors (a typo must not silently do nothing).
"""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from hub.core.state import valid_entity_id

from .templates import is_template

_HMS = re.compile(r"^(\d{1,3}):([0-5]?\d)(?::([0-5]?\d(?:\.\d+)?))?$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STAGES = ("decided", "denied", "recorded", "released", "weighed", "corrected", "lifecycle")


def parse_duration(value: Any) -> Any:
    """Seconds, 'HH:MM[:SS]', {hours, minutes, seconds, milliseconds}, or a template (left as is)."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        if is_template(value):
            return value
        match = _HMS.match(value.strip())
        if match:
            hours, minutes, seconds = match.groups()
            return int(hours) * 3600 + int(minutes) * 60 + float(seconds or 0)
        try:
            return float(value)
        except ValueError:
            raise ValueError(
                f"{value!r} is no duration: seconds, HH:MM:SS or hours/minutes/seconds"
            ) from None
    if isinstance(value, dict):
        units = {"days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "milliseconds": 0.001}
        unknown = set(value) - set(units)
        if unknown:
            raise ValueError(f"unknown duration key {sorted(map(str, unknown))[0]}: use {', '.join(units)}")
        return sum(float(value[k]) * units[k] for k in value)
    raise ValueError("a duration is seconds, HH:MM:SS or hours/minutes/seconds")


def _listed(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _entity_ids(value: Any) -> Any:
    value = _listed(value)
    if isinstance(value, list):
        for item in value:
            if not isinstance(item, str) or not valid_entity_id(item):
                raise ValueError(f"{item!r} is no entity id (domain.object_id in a-z, 0-9, _)")
    return value


def _state_value(value: Any) -> Any:
    """YAML reads an unquoted on/off as a boolean; a state is text."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return [_state_value(v) for v in value]
    return value


def _yaml_keys(value: Any) -> Any:
    """YAML 1.1 reads an unquoted key `on`/`off`/`yes` as a boolean; a data key is text."""
    if isinstance(value, dict):
        return {
            ("on" if k else "off") if isinstance(k, bool) else str(k): _yaml_keys(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_yaml_keys(v) for v in value]
    return value


Data = Annotated[dict[str, Any], BeforeValidator(_yaml_keys)]

Duration = Annotated[float | str | None, BeforeValidator(parse_duration)]
EntityIds = Annotated[list[str], BeforeValidator(_entity_ids)]
StateValues = Annotated[list[str] | None, BeforeValidator(lambda v: _listed(_state_value(v)))]
Texts = Annotated[list[str], BeforeValidator(_listed)]
Number = float | str  # a number, an entity id whose state is one, or a template


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


# ----- triggers ----------------------------------------------------------------------------------
class _Trigger(_Strict):
    id: str | None = None
    enabled: bool = True
    variables: Data = Field(default_factory=dict)


class StateTrigger(_Trigger):
    trigger: Literal["state"] = Field(validation_alias=AliasChoices("trigger", "platform"))
    entity_id: EntityIds
    attribute: str | None = None
    from_: StateValues = Field(None, alias="from")
    to: StateValues = None
    not_from: StateValues = None
    not_to: StateValues = None
    for_: Duration = Field(None, alias="for")


class NumericStateTrigger(_Trigger):
    trigger: Literal["numeric_state"] = Field(validation_alias=AliasChoices("trigger", "platform"))
    entity_id: EntityIds
    attribute: str | None = None
    value_template: str | None = None
    above: Number | None = None
    below: Number | None = None
    for_: Duration = Field(None, alias="for")

    @model_validator(mode="after")
    def _bounded(self) -> NumericStateTrigger:
        if self.above is None and self.below is None:
            raise ValueError("give above, below or both")
        return self


class EventTrigger(_Trigger):
    trigger: Literal["event"] = Field(validation_alias=AliasChoices("trigger", "platform"))
    event_type: Texts
    event_data: Data = Field(default_factory=dict)


def _time_of_day(value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):  # YAML 1.1 reads 08:30 as 510 (base 60)
        return time(value // 60 % 24, value % 60)
    if isinstance(value, str):
        match = _HMS.match(value.strip())
        if not match or int(match.group(1)) > 23:
            raise ValueError(f"{value!r} is no time of day: HH:MM or HH:MM:SS")
        hours, minutes, seconds = match.groups()
        return time(int(hours), int(minutes), int(float(seconds or 0)))
    return value


TimeOfDay = Annotated[time, BeforeValidator(_time_of_day)]


class TimeTrigger(_Trigger):
    trigger: Literal["time"] = Field(validation_alias=AliasChoices("trigger", "platform"))
    at: Annotated[list[TimeOfDay], BeforeValidator(lambda v: v if isinstance(v, list) else [v])]
    weekday: Annotated[list[Literal[WEEKDAYS]], BeforeValidator(_listed)] | None = None  # type: ignore[valid-type]  # Literal of a tuple: pydantic reads it, mypy cannot


_PATTERN = re.compile(r"^(\*|/?\d{1,2})$")


class TimePatternTrigger(_Trigger):
    trigger: Literal["time_pattern"] = Field(validation_alias=AliasChoices("trigger", "platform"))
    hours: str | None = None
    minutes: str | None = None
    seconds: str | None = None

    @field_validator("hours", "minutes", "seconds", mode="before")
    @classmethod
    def _pattern(cls, value: Any) -> Any:
        if value is None:
            return None
        text = str(value).strip()
        if not _PATTERN.match(text):
            raise ValueError(f"{value!r}: a number, * or /N")
        return text

    @model_validator(mode="after")
    def _some(self) -> TimePatternTrigger:
        if self.hours is None and self.minutes is None and self.seconds is None:
            raise ValueError("give hours, minutes or seconds")
        return self


class MqttTrigger(_Trigger):
    trigger: Literal["mqtt"] = Field(validation_alias=AliasChoices("trigger", "platform"))
    topic: str = Field(min_length=1, max_length=1024)
    payload: str | None = None
    value_template: str | None = None
    qos: Literal[0, 1, 2] = 0
    encoding: str = "utf-8"


class PassageTrigger(_Trigger):
    """A passage decided (any verdict), denied, recorded in the ledger, released by a guard, weighed,
    corrected, or a step of its lifecycle; filtered by gate, lane, class, decision, direction."""

    trigger: Literal["passage"] = Field(validation_alias=AliasChoices("trigger", "platform"))
    stage: Annotated[list[Literal[STAGES]], BeforeValidator(_listed)] = ["recorded"]  # type: ignore[valid-type]  # as weekday
    gate: Texts | None = None
    lane: Texts | None = None  # the lane's name (in) or its key (east_gate_in)
    vehicle_class: Texts | None = None
    decision: Texts | None = None  # allow, deny, review, error
    direction: Texts | None = None


def _trigger_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("trigger") or value.get("platform")
    return getattr(value, "trigger", None)


Trigger = Annotated[
    Annotated[StateTrigger, Tag("state")]
    | Annotated[NumericStateTrigger, Tag("numeric_state")]
    | Annotated[EventTrigger, Tag("event")]
    | Annotated[TimeTrigger, Tag("time")]
    | Annotated[TimePatternTrigger, Tag("time_pattern")]
    | Annotated[MqttTrigger, Tag("mqtt")]
    | Annotated[PassageTrigger, Tag("passage")],
    Discriminator(_trigger_tag),
]
Triggers = Annotated[list[Trigger], BeforeValidator(lambda v: [v] if isinstance(v, dict) else v)]


# ----- conditions --------------------------------------------------------------------------------
class _Condition(_Strict):
    enabled: bool = True
    alias: str | None = None


class StateCondition(_Condition):
    condition: Literal["state"]
    entity_id: EntityIds
    state: StateValues
    attribute: str | None = None
    for_: Duration = Field(None, alias="for")


class NumericStateCondition(_Condition):
    condition: Literal["numeric_state"]
    entity_id: EntityIds
    attribute: str | None = None
    value_template: str | None = None
    above: Number | None = None
    below: Number | None = None


class TimeCondition(_Condition):
    condition: Literal["time"]
    after: TimeOfDay | None = None
    before: TimeOfDay | None = None
    weekday: Annotated[list[Literal[WEEKDAYS]], BeforeValidator(_listed)] | None = None  # type: ignore[valid-type]  # Literal of a tuple: pydantic reads it, mypy cannot


class TemplateCondition(_Condition):
    condition: Literal["template"]
    value_template: str


class TriggerCondition(_Condition):
    condition: Literal["trigger"]
    id: Texts


class LogicCondition(_Condition):
    condition: Literal["and", "or", "not"]
    conditions: Conditions


def _condition_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        tag = value.get("condition")
        return tag if tag not in ("or", "not") else "and"
    return getattr(value, "condition", None) if not isinstance(value, LogicCondition) else "and"


def _shorthand(value: Any) -> Any:
    """`"{{ ... }}"` is a template condition; `{or: [...]}` (and, not) a logic one (as in HA)."""
    if isinstance(value, str):
        return {"condition": "template", "value_template": value}
    if isinstance(value, dict) and "condition" not in value and len(value) == 1:
        ((key, inner),) = value.items()
        if key in ("and", "or", "not"):
            return {"condition": key, "conditions": inner}
    return value


Condition = Annotated[
    Annotated[StateCondition, Tag("state")]
    | Annotated[NumericStateCondition, Tag("numeric_state")]
    | Annotated[TimeCondition, Tag("time")]
    | Annotated[TemplateCondition, Tag("template")]
    | Annotated[TriggerCondition, Tag("trigger")]
    | Annotated[LogicCondition, Tag("and")],
    Discriminator(_condition_tag),
    BeforeValidator(_shorthand),
]
Conditions = Annotated[list[Condition], BeforeValidator(lambda v: [v] if isinstance(v, dict | str) else v)]

LogicCondition.model_rebuild()
