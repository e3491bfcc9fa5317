"""One automation as configured: its actions (Home Assistant's script syntax), mode and traces."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AliasChoices,
    BeforeValidator,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from .const import DEFAULT_MAX_RUNS, DEFAULT_STORED_TRACES, MAX_STORED_TRACES
from .schema import Conditions, Data, Duration, Triggers, _Strict

ACTION_KEYS = (
    ("service", "service"), ("action", "service"), ("delay", "delay"),
    ("wait_for_trigger", "wait_for_trigger"), ("choose", "choose"), ("if", "if"), ("repeat", "repeat"),
    ("event", "event"), ("stop", "stop"), ("variables", "variables"), ("condition", "condition"),
)  # fmt: skip


class _Action(_Strict):
    alias: str | None = None
    enabled: bool = True
    continue_on_error: bool = False


class ServiceAction(_Action):
    service: str = Field(validation_alias=AliasChoices("service", "action"), min_length=3)
    data: Data = Field(default_factory=dict)
    target: Data = Field(default_factory=dict)  # entity_id: merged into data, as HA does
    response_variable: str | None = None

    @field_validator("service")
    @classmethod
    def _dotted(cls, value: str) -> str:
        if "{" not in value and value.count(".") != 1:
            raise ValueError(f"{value!r}: a service is domain.name")
        return value


class DelayAction(_Action):
    delay: Duration


class WaitForTriggerAction(_Action):
    wait_for_trigger: Triggers
    timeout: Duration = None
    continue_on_timeout: bool = True


class ChooseOption(_Strict):
    alias: str | None = None
    conditions: Conditions = Field(validation_alias=AliasChoices("conditions", "condition"))
    sequence: Actions


class ChooseAction(_Action):
    choose: Annotated[list[ChooseOption], BeforeValidator(lambda v: [v] if isinstance(v, dict) else v)]
    default: Actions = Field(default_factory=list)


class IfAction(_Action):
    if_: Conditions = Field(alias="if")
    then: Actions
    else_: Actions = Field(default_factory=list, alias="else")


class Repeat(_Strict):
    count: int | str | None = None
    while_: Conditions | None = Field(None, alias="while")
    until: Conditions | None = None
    for_each: list[Any] | str | None = None
    sequence: Actions

    @model_validator(mode="after")
    def _one_kind(self) -> Repeat:
        kinds = [k for k in ("count", "while_", "until", "for_each") if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError("a repeat has exactly one of count, while, until, for_each")
        return self


class RepeatAction(_Action):
    repeat: Repeat


class EventAction(_Action):
    event: str = Field(min_length=1, max_length=64)
    event_data: Data = Field(default_factory=dict)


class StopAction(_Action):
    stop: str
    error: bool = False
    response_variable: str | None = None


class VariablesAction(_Action):
    variables: Data


class ConditionAction(_Action):
    """A condition in a sequence: the rest of the sequence runs only when it holds."""

    condition: Any  # validated as a Condition in the validator below, keeping the action's own keys
    check: Conditions = Field(default_factory=list, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, dict) and "check" not in value:
            own = {k: value[k] for k in ("alias", "enabled", "continue_on_error") if k in value}
            inner = {k: v for k, v in value.items() if k not in ("alias", "enabled", "continue_on_error")}
            return {**own, "condition": value.get("condition"), "check": [inner]}
        return value


def _action_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        for key, tag in ACTION_KEYS:
            if key in value:
                return tag
        return None
    for cls, tag in _CLASS_TAGS.items():
        if isinstance(value, cls):
            return tag
    return None


Action = Annotated[
    Annotated[ServiceAction, Tag("service")]
    | Annotated[DelayAction, Tag("delay")]
    | Annotated[WaitForTriggerAction, Tag("wait_for_trigger")]
    | Annotated[ChooseAction, Tag("choose")]
    | Annotated[IfAction, Tag("if")]
    | Annotated[RepeatAction, Tag("repeat")]
    | Annotated[EventAction, Tag("event")]
    | Annotated[StopAction, Tag("stop")]
    | Annotated[VariablesAction, Tag("variables")]
    | Annotated[ConditionAction, Tag("condition")],
    Discriminator(
        _action_tag,
        custom_error_type="unknown_action",
        custom_error_message="an action is one of service/action, delay, wait_for_trigger, choose, if, "
        "repeat, event, stop, variables, condition",
    ),
]
Actions = Annotated[list[Action], BeforeValidator(lambda v: [v] if isinstance(v, dict) else v)]
_CLASS_TAGS: dict[type, str] = {
    ServiceAction: "service", DelayAction: "delay", WaitForTriggerAction: "wait_for_trigger",
    ChooseAction: "choose", IfAction: "if", RepeatAction: "repeat", EventAction: "event",
    StopAction: "stop", VariablesAction: "variables", ConditionAction: "condition",
}  # fmt: skip


class TraceConfig(_Strict):
    stored_traces: int = Field(DEFAULT_STORED_TRACES, ge=1, le=MAX_STORED_TRACES)


class AutomationConfig(_Strict):
    id: str | None = Field(None, min_length=1, max_length=64)
    alias: str | None = Field(None, max_length=255)
    description: str | None = None
    mode: Literal["single", "restart", "queued", "parallel"] = "single"
    max: int = Field(DEFAULT_MAX_RUNS, ge=1, le=10_000)
    max_exceeded: Literal["silent", "warning", "info", "error"] = "warning"
    initial_state: bool | None = None
    variables: Data = Field(default_factory=dict)
    trace: TraceConfig = TraceConfig(stored_traces=DEFAULT_STORED_TRACES)
    triggers: Triggers = Field(validation_alias=AliasChoices("triggers", "trigger"), min_length=1)
    conditions: Conditions = Field(
        default_factory=list, validation_alias=AliasChoices("conditions", "condition")
    )
    actions: Actions = Field(validation_alias=AliasChoices("actions", "action"), min_length=1)


for _model in (ChooseOption, ChooseAction, IfAction, Repeat, RepeatAction, WaitForTriggerAction):
    _model.model_rebuild()
