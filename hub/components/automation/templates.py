"""Jinja2 templates in a sandbox, with the hub's states and the run's variables (Home Assistant's set).

`{{ states('sensor.pm10') }}`, `is_state`, `state_attr`, `is_state_attr`, `has_value`, `now()`,
`utcnow()`, `as_timestamp`, `float`/`int` with a default, `iif`, and whatever the run holds
(`trigger`, `repeat`, `wait`, variables). The environment is Jinja's ImmutableSandboxedEnvironment:
no underscore attributes (so no way from a string to its class and on to `os`), no mutating methods
of lists and dicts, `range` at most 100,000 items, and `*` / `**` refused where the result would be
huge. A template that fails or is refused raises TemplateError with the reason.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from hub.core import HubError
from hub.core.const import STATE_UNAVAILABLE, STATE_UNKNOWN

if TYPE_CHECKING:
    from hub.core import Hub

_DELIMITERS = re.compile(r"\{\{|\{%|\{#")
MAX_RESULT_ITEMS = 100_000  # the largest string or list `*` may make, and the largest `**` exponent base
MAX_OUTPUT_CHARS = 64 * 1024
_NO_DEFAULT = object()


class TemplateError(HubError):
    """A template that does not compile, fails while rendering, or tries what the sandbox refuses."""


def is_template(value: Any) -> bool:
    return isinstance(value, str) and bool(_DELIMITERS.search(value))


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        # Jinja hands back an Undefined that renders as nothing; an attempt is refused outright instead.
        raise SecurityError(f"access to attribute {attribute!r} of a {type(obj).__name__} is not allowed")

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, str | list | tuple) and isinstance(times, int):
                    if len(seq) * times > MAX_RESULT_ITEMS:
                        raise SecurityError("the result of * would be too large")
        if operator == "**" and isinstance(right, int | float) and abs(right) > 1000:
            raise SecurityError("the exponent of ** is too large")
        return super().call_binop(context, operator, left, right)


def _number(kind: type, value: Any, default: Any) -> Any:
    try:
        result = kind(float(value)) if kind is int and isinstance(value, str) else kind(value)
    except (TypeError, ValueError, OverflowError):
        if default is _NO_DEFAULT:
            raise ValueError(f"{kind.__name__}({value!r}): not a number and no default given") from None
        return default
    if isinstance(result, float) and not math.isfinite(result) and default is not _NO_DEFAULT:
        return default
    return result


def _as_float(value: Any, default: Any = _NO_DEFAULT) -> Any:
    return _number(float, value, default)


def _as_int(value: Any, default: Any = _NO_DEFAULT) -> Any:
    return _number(int, value, default)


def _as_timestamp(value: Any, default: Any = None) -> float | None:
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return default


def _as_datetime(value: Any, default: Any = None) -> datetime | None:
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return default


class TemplateEngine:
    """One sandbox per hub, holding the functions that read the hub's states."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        env = _Sandbox(undefined=jinja2.ChainableUndefined, autoescape=False)
        states = hub.states

        def state_of(entity_id: str) -> str:
            found = states.get(str(entity_id))
            return found.state if found is not None else STATE_UNKNOWN

        def is_state(entity_id: str, value: Any) -> bool:
            current = state_of(entity_id)
            return current in value if isinstance(value, list | tuple) else current == str(value)

        def state_attr(entity_id: str, name: str) -> Any:
            found = states.get(str(entity_id))
            return found.attributes.get(name) if found is not None else None

        def has_value(entity_id: str) -> bool:
            return state_of(entity_id) not in (STATE_UNKNOWN, STATE_UNAVAILABLE)

        env.globals.update(
            states=state_of,
            is_state=is_state,
            state_attr=state_attr,
            is_state_attr=lambda e, n, v: state_attr(e, n) == v,
            has_value=has_value,
            now=hub.now,
            utcnow=hub.clock.utcnow,
            as_timestamp=_as_timestamp,
            as_datetime=_as_datetime,
            float=_as_float,
            int=_as_int,
            iif=lambda cond, if_true=True, if_false=False: if_true if cond else if_false,
            min=min,
            max=max,
        )
        env.filters.update(float=_as_float, int=_as_int, as_timestamp=_as_timestamp, as_datetime=_as_datetime)
        env.tests["is_state"] = is_state
        self.env = env
        self._globals = dict(env.globals)
        self._cache: dict[str, jinja2.Template] = {}

    def compile(self, text: str) -> jinja2.Template:
        template = self._cache.get(text)
        if template is None:
            try:
                template = self.env.from_string(text)
            except jinja2.TemplateSyntaxError as err:
                raise TemplateError(f"template syntax, line {err.lineno}: {err.message}") from None
            self._cache[text] = template
        return template

    def render(self, text: str, variables: Mapping[str, Any], *, native: bool = True) -> Any:
        """Render one string; with `native`, a result that reads as a number, list or the like is one."""
        if not is_template(text):
            return text
        template = self.compile(text)
        try:
            # Jinja's render() copies the globals through a ChainMap on every call (a third of a
            # condition's cost, bench/automation_latency.py); one dict merge gives the same context.
            context = template.new_context({**self._globals, **variables}, shared=True)
            result = self.env.concat(template.root_render_func(context))
        except SecurityError as err:
            raise TemplateError(f"refused by the template sandbox: {err}") from None
        except TemplateError:
            raise
        except Exception as err:
            raise TemplateError(f"template failed: {type(err).__name__}: {err}") from None
        if len(result) > MAX_OUTPUT_CHARS:
            raise TemplateError(f"template result is {len(result)} characters; at most {MAX_OUTPUT_CHARS}")
        return native_value(result) if native else result

    def render_complex(self, value: Any, variables: Mapping[str, Any]) -> Any:
        """Every string in a structure of dicts and lists rendered (service data, event data)."""
        if isinstance(value, str):
            return self.render(value, variables)
        if isinstance(value, Mapping):
            return {str(self.render(k, variables, native=False)): self.render_complex(v, variables)
                    for k, v in value.items()}  # fmt: skip
        if isinstance(value, list | tuple):
            return [self.render_complex(v, variables) for v in value]
        return value

    def truth(self, text: str, variables: Mapping[str, Any]) -> bool:
        """A template condition: true for true, yes, on, enable and non-zero numbers (as HA)."""
        result = self.render(text, variables, native=False).strip().lower()
        if result in ("true", "yes", "on", "enable"):
            return True
        try:
            return float(result) != 0
        except ValueError:
            return False


def native_value(text: str) -> Any:
    """'42' -> 42, '[1, 2]' -> [1, 2], 'true'/'True' -> True; a plate or '007' stays text."""
    stripped = text.strip()
    if stripped.lower() in ("true", "false"):
        return stripped.lower() == "true"
    if not stripped or stripped[0] not in "-+0123456789[({'\"TFN":
        return text
    try:
        value = ast.literal_eval(stripped)
    except (ValueError, SyntaxError, MemoryError, RecursionError, TypeError):
        return text
    if isinstance(value, int | float) and not isinstance(value, bool) and str(value) != stripped:
        return text  # '007', '1e3', '+5': what was written is what was meant
    if isinstance(value, str):
        return text
    return value
