"""Running an automation's actions (Home Assistant's script syntax), one step after another, traced.

Every service call goes through the hub's service registry with the run's Context (its parent is
the trigger's, no user: the hub acting) and the door `automation`, so validation, roles and the audit
log see it as any other call. Delays and timeouts run on the hub's clock (automation/timers.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from hub.core import Context
from hub.core.const import EventType

from .conditions import check, seconds_of
from .config import (
    ChooseAction,
    ConditionAction,
    DelayAction,
    EventAction,
    IfAction,
    RepeatAction,
    ServiceAction,
    StopAction,
    VariablesAction,
    WaitForTriggerAction,
)
from .const import DOOR
from .runtime import Runtime
from .timers import resolve
from .trace import RunTrace, Step, jsonable
from .triggers import attach

# A `while`/`until` whose conditions never change would spin forever; HA has no bound, we do.
MAX_REPEAT_ROUNDS = 100_000


class StopRun(Exception):
    """A `stop` action, a condition step that failed, or a wait that timed out without continuing."""

    def __init__(self, reason: str, execution: str, error: bool = False, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.execution, self.error = reason, execution, error
        self.code = code  # for the console to word (automations.stop.<code>); None: the automation's own text


class ScriptRun:
    def __init__(
        self,
        rt: Runtime,
        trace: RunTrace,
        context: Context,
        variables: dict[str, Any],
        on_first_call: Callable[[], None] | None = None,
    ) -> None:
        self.rt = rt
        self.trace = trace
        self.context = context
        self.variables = variables
        self._on_first_call = on_first_call
        self._clock = rt.hub.clock

    async def async_sequence(self, actions: list[Any], path: str) -> None:
        for index, action in enumerate(actions):
            if action.enabled:
                await self._async_step(action, f"{path}/{index}")

    async def _async_step(self, action: BaseModel, path: str) -> None:
        kind = type(action).__name__.removesuffix("Action").lower()
        started = self._clock.monotonic()
        step = self.trace.add(
            Step(path, kind, self.rt.hub.now().isoformat(), (started - self.trace.started) * 1000)
        )
        try:
            await self._async_do(action, path, step.result)
        except StopRun:
            raise
        except asyncio.CancelledError:
            step.error = "cancelled"
            raise
        except Exception as err:
            step.error = f"{type(err).__name__}: {err}"
            if not getattr(action, "continue_on_error", False):
                raise
        finally:
            step.duration_ms = (self._clock.monotonic() - started) * 1000

    async def _async_do(self, action: Any, path: str, result: dict[str, Any]) -> None:
        render = self.rt.templates
        v = self.variables
        if isinstance(action, ServiceAction):
            await self._async_service(action, result)
        elif isinstance(action, DelayAction):
            seconds = seconds_of(self.rt, action.delay or 0.0, v)
            result["delay"] = seconds
            await self.rt.timers.async_sleep(seconds)
            result["done"] = True
        elif isinstance(action, WaitForTriggerAction):
            await self._async_wait(action, result)
        elif isinstance(action, ChooseAction):
            for index, option in enumerate(action.choose):
                if all(check(self.rt, c, v) for c in option.conditions):
                    result["choice"] = index
                    await self.async_sequence(option.sequence, f"{path}/choose/{index}/sequence")
                    return
            result["choice"] = "default"
            await self.async_sequence(action.default, f"{path}/default")
        elif isinstance(action, IfAction):
            holds = all(check(self.rt, c, v) for c in action.if_)
            result["if"] = holds
            await self.async_sequence(
                action.then if holds else action.else_, f"{path}/{'then' if holds else 'else'}"
            )
        elif isinstance(action, RepeatAction):
            await self._async_repeat(action, path, result)
        elif isinstance(action, EventAction):
            event_type = str(render.render(action.event, v, native=False))
            data = render.render_complex(action.event_data, v)
            # Named by the automation: its data is whatever the automation gives (any mapping).
            self.rt.hub.bus.async_fire(EventType(event_type), data, self.context)
            result.update(event=event_type, event_data=data)
        elif isinstance(action, StopAction):
            if action.response_variable is not None:
                result["response"] = jsonable(v.get(action.response_variable))
            reason = str(render.render(action.stop, v, native=False))
            raise StopRun(reason, "error" if action.error else "stopped", action.error)
        elif isinstance(action, VariablesAction):
            for name, raw in action.variables.items():
                v[name] = render.render_complex(raw, v)
            result["variables"] = jsonable({k: v[k] for k in action.variables})
        elif isinstance(action, ConditionAction):
            holds = all(check(self.rt, c, v) for c in action.check)
            result["result"] = holds
            if not holds:
                raise StopRun(
                    "a condition in the actions did not hold", "failed_conditions", code="condition_failed"
                )

    async def _async_service(self, action: ServiceAction, result: dict[str, Any]) -> None:
        render, v = self.rt.templates, self.variables
        name = str(render.render(action.service, v, native=False))
        domain, _, service = name.partition(".")
        data = render.render_complex(action.data, v)
        data.update(render.render_complex(action.target, v))
        result.update(service=name, data=jsonable(data))
        if self._on_first_call is not None:
            self._on_first_call()
            self._on_first_call = None
        response = await self.rt.hub.services.async_call(domain, service, data, self.context, door=DOOR)
        if isinstance(response, BaseModel):
            response = response.model_dump(mode="json")
        if action.response_variable is not None:
            v[action.response_variable] = response
        result["response"] = jsonable(response)

    async def _async_wait(self, action: WaitForTriggerAction, result: dict[str, Any]) -> None:
        future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()

        def caught(trigger_vars: dict[str, Any], _context: Context | None) -> None:
            resolve(future, trigger_vars)

        timeout = None if action.timeout is None else seconds_of(self.rt, action.timeout, self.variables)
        started = self._clock.monotonic()
        unsubs = [attach(self.rt, t, i, caught, self.variables)
                  for i, t in enumerate(action.wait_for_trigger) if t.enabled]  # fmt: skip
        if timeout is not None:
            unsubs.append(self.rt.timers.call_later(timeout, lambda: resolve(future, None)))
        try:
            caught_vars = await future
        finally:
            for unsub in unsubs:
                unsub()
        elapsed = self._clock.monotonic() - started
        remaining = None if timeout is None else max(timeout - elapsed, 0.0)
        self.variables["wait"] = {"trigger": caught_vars, "remaining": remaining}
        result.update(
            wait={"trigger": jsonable(caught_vars), "remaining": remaining}, timed_out=caught_vars is None
        )
        if caught_vars is None and not action.continue_on_timeout:
            raise StopRun("the wait timed out", "aborted", code="wait_timeout")

    async def _async_repeat(self, action: RepeatAction, path: str, result: dict[str, Any]) -> None:
        spec, v, rt = action.repeat, self.variables, self.rt
        items: list[Any] | None = None
        if spec.count is not None:
            count = int(rt.templates.render(spec.count, v)) if isinstance(spec.count, str) else spec.count
            items = list(range(1, max(count, 0) + 1))
        elif spec.for_each is not None:
            each = rt.templates.render(spec.for_each, v) if isinstance(spec.for_each, str) else spec.for_each
            items = list(each) if isinstance(each, list | tuple) else [each]
        outer = v.get("repeat")
        rounds = 0
        try:
            while rounds < MAX_REPEAT_ROUNDS:
                if items is not None and rounds >= len(items):
                    break
                repeat: dict[str, Any] = {"index": rounds + 1, "first": rounds == 0}
                if items is not None:
                    repeat["last"] = rounds == len(items) - 1
                    if spec.for_each is not None:
                        repeat["item"] = items[rounds]
                v["repeat"] = repeat
                if spec.while_ is not None and not all(check(rt, c, v) for c in spec.while_):
                    break
                await self.async_sequence(spec.sequence, f"{path}/repeat/sequence")
                rounds += 1
                if spec.until is not None and all(check(rt, c, v) for c in spec.until):
                    break
                await asyncio.sleep(0)  # a repeat of quick steps still lets the loop breathe
        finally:
            if outer is None:
                v.pop("repeat", None)
            else:
                v["repeat"] = outer
        result["rounds"] = rounds
