"""One automation: its triggers attached, its conditions checked, its runs started by mode, traced.

Modes as in Home Assistant: `single` ignores a trigger while a run is going, `restart` stops the run
and starts again, `queued` runs one after another (at most `max` waiting and running), `parallel`
runs side by side (at most `max`). A run that raises is traced and logged; it never reaches the bus,
the hub or another automation.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from hub.core import Context

from .conditions import check
from .config import AutomationConfig
from .const import EVENT_AUTOMATION_FINISHED, EVENT_AUTOMATION_TRIGGERED
from .runtime import Runtime
from .script import ScriptRun, StopRun
from .templates import TemplateError
from .trace import RunTrace, Step, TraceStore
from .triggers import TriggerSetupError, attach

_LOGGER = logging.getLogger(__name__)
_MAX_EXCEEDED = {
    "silent": logging.DEBUG,
    "info": logging.INFO,
    "warning": logging.WARNING,
    "error": logging.ERROR,
}


class Automation:
    def __init__(
        self,
        rt: Runtime,
        automation_id: str,
        config: AutomationConfig,
        traces: TraceStore,
        *,
        on_change: Callable[[], None],
        on_first_call: Callable[[Automation, RunTrace], None],
    ) -> None:
        self.rt = rt
        self.id = automation_id
        self.config = config
        self.name = config.alias or automation_id
        self.entity_id = f"automation.{automation_id}"  # replaced by the registry's once added
        self.traces = traces
        self.enabled = False
        self.error: str | None = None
        self.last_triggered: datetime | None = None
        self._on_change = on_change
        self._on_first_call = on_first_call
        self._unsubs: list[Callable[[], None]] = []
        self._runs: dict[asyncio.Task[None], RunTrace] = {}
        self._waiting = 0
        self._queue = asyncio.Lock()

    @property
    def running(self) -> int:
        return len(self._runs)

    # ----- on and off ----------------------------------------------------------------------------
    def enable(self) -> None:
        if self.enabled:
            return
        variables = self.static_variables()
        try:
            for idx, trig in enumerate(self.config.triggers):
                if trig.enabled:
                    self._unsubs.append(attach(self.rt, trig, idx, self._on_trigger, variables))
        except (TriggerSetupError, TemplateError, ValueError) as err:
            self._detach()
            self.error = f"trigger: {err}"
            _LOGGER.error("Automation %s not started: %s", self.name, self.error)
            self._on_change()
            return
        self.error = None
        self.enabled = True
        self._on_change()

    async def async_disable(self, stop_actions: bool = True) -> None:
        self._detach()
        self.enabled = False
        if stop_actions:
            await self.async_cancel_runs()
        self._on_change()

    def _detach(self) -> None:
        for unsub in self._unsubs:
            try:
                unsub()
            except Exception:
                _LOGGER.exception("Automation %s: detaching a trigger failed", self.name)
        self._unsubs.clear()

    async def async_cancel_runs(self) -> None:
        tasks = list(self._runs)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    def static_variables(self) -> dict[str, Any]:
        return {"this": {"entity_id": self.entity_id, "id": self.id, "name": self.name}}

    # ----- a trigger fired -----------------------------------------------------------------------
    def _on_trigger(self, trigger_vars: dict[str, Any], context: Context | None) -> None:
        try:
            self.trigger(trigger_vars, context)
        except Exception:  # never into the bus: the next event must reach every other listener
            _LOGGER.exception("Automation %s failed on its trigger", self.name)

    def trigger(
        self, trigger_vars: dict[str, Any], parent: Context | None, *, skip_condition: bool = False,
        extra: dict[str, Any] | None = None,
    ) -> RunTrace | None:  # fmt: skip
        """Check conditions and start a run by mode; returns the run's trace (None when disabled)."""
        if not self.enabled and not skip_condition:
            return None
        rt, now = self.rt, self.rt.hub.now()
        context = Context(parent_id=parent.id if parent is not None else None)
        trace = RunTrace(
            self.id, self.entity_id, context.id, context.parent_id, trigger_vars, now.isoformat(),
            rt.hub.clock.monotonic(),
        )  # fmt: skip
        self.traces.add(trace, self.config.trace.stored_traces)
        variables = {**self.static_variables(), "trigger": trigger_vars, **(extra or {})}
        try:
            if self.config.variables:
                variables.update(rt.templates.render_complex(self.config.variables, variables))
            if not skip_condition and not self._conditions_hold(trace, variables):
                trace.finish("failed_conditions", now, rt.hub.clock.monotonic())
                return trace
        except TemplateError as err:
            trace.finish("error", now, rt.hub.clock.monotonic(), str(err))
            _LOGGER.warning("Automation %s: %s", self.name, err)
            return trace
        if not self._room_for_run(trace, now):
            return trace
        self.last_triggered = now
        rt.hub.bus.async_fire(
            EVENT_AUTOMATION_TRIGGERED,
            {"name": self.name, "entity_id": self.entity_id, "automation_id": self.id,
             "source": trigger_vars.get("description"), "run_id": trace.run_id},
            context,
        )  # fmt: skip
        task = rt.hub.async_create_background_task(
            self._async_run(trace, context, variables), name=f"automation {self.id}"
        )
        self._runs[task] = trace
        self._on_change()
        return trace

    def _conditions_hold(self, trace: RunTrace, variables: dict[str, Any]) -> bool:
        for index, cond in enumerate(self.config.conditions):
            holds = check(self.rt, cond, variables)
            offset = (self.rt.hub.clock.monotonic() - trace.started) * 1000
            trace.add(
                Step(f"condition/{index}", cond.condition, trace.started_at, offset, 0.0, {"result": holds})
            )
            if not holds:
                return False
        return True

    def _room_for_run(self, trace: RunTrace, now: datetime) -> bool:
        mode, busy = self.config.mode, len(self._runs)
        if mode == "restart" and busy:
            for task in list(self._runs):
                task.cancel()
            return True
        full = (mode == "single" and busy) or (mode in ("queued", "parallel") and busy >= self.config.max)
        if not full:
            return True
        execution = "failed_single" if mode == "single" else "failed_max_runs"
        trace.finish(execution, now, self.rt.hub.clock.monotonic())
        level = _MAX_EXCEEDED[self.config.max_exceeded]
        _LOGGER.log(level, "Automation %s: already running (%s mode, max %s); trigger dropped",
                    self.name, mode, 1 if mode == "single" else self.config.max)  # fmt: skip
        return False

    async def _async_run(self, trace: RunTrace, context: Context, variables: dict[str, Any]) -> None:
        rt = self.rt
        run = ScriptRun(rt, trace, context, variables, lambda: self._on_first_call(self, trace))
        execution, error = "finished", None
        try:
            if self.config.mode == "queued":
                async with self._queue:
                    await run.async_sequence(self.config.actions, "action")
            else:
                await run.async_sequence(self.config.actions, "action")
        except StopRun as stop:
            execution, trace.stop_reason, trace.stop_code = stop.execution, stop.reason, stop.code
            error = stop.reason if stop.error else None
        except asyncio.CancelledError:
            execution = "cancelled"
        except Exception as err:
            execution, error = "error", f"{type(err).__name__}: {err}"
            _LOGGER.warning("Automation %s stopped with an error: %s", self.name, error)
        finally:
            trace.finish(execution, rt.hub.now(), rt.hub.clock.monotonic(), error)
            if (task := asyncio.current_task()) is not None:
                self._runs.pop(task, None)
            self._on_change()
            rt.hub.bus.async_fire(
                EVENT_AUTOMATION_FINISHED,
                {"entity_id": self.entity_id, "automation_id": self.id, "run_id": trace.run_id,
                 "script_execution": execution, "error": error},
                context,
            )  # fmt: skip
