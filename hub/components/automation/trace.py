"""Run traces: what triggered a run, each step's result and timing, how it ended; the last N kept."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import Enum
from typing import Any

from hub.core import State

from .const import MAX_TRACE_STEPS

_RUN_IDS = itertools.count(1)


def jsonable(value: Any, depth: int = 0) -> Any:
    """A trace holds plain JSON: states as their dict, times as ISO text, the rest as text."""
    if depth > 8:
        return "…"
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, State):
        return value.as_dict()
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return jsonable(value.value, depth + 1)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v, depth + 1) for k, v in itertools.islice(value.items(), 200)}
    if isinstance(value, list | tuple | set | frozenset | deque):
        return [jsonable(v, depth + 1) for v in itertools.islice(value, 200)]
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    return str(value)


@dataclass(slots=True)
class Step:
    path: str  # Home Assistant's: action/2/choose/0/sequence/1, condition/0, trigger/1
    kind: str
    started_at: str
    offset_ms: float  # since the run started (monotonic clock)
    duration_ms: float | None = None
    result: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "kind": self.kind, "started_at": self.started_at,
            "offset_ms": round(self.offset_ms, 3),
            "duration_ms": None if self.duration_ms is None else round(self.duration_ms, 3),
            "result": jsonable(self.result), "error": self.error,
        }  # fmt: skip


@dataclass(slots=True)
class RunTrace:
    automation_id: str
    entity_id: str
    context_id: str
    parent_context_id: str | None
    trigger: dict[str, Any]
    started_at: str
    started: float  # monotonic
    run_id: int = field(default_factory=lambda: next(_RUN_IDS))
    steps: list[Step] = field(default_factory=list)
    dropped_steps: int = 0
    state: str = "running"  # running, stopped
    # finished, failed_conditions, stopped (a stop action), error, cancelled (turned off, restarted)
    script_execution: str | None = None
    finished_at: str | None = None
    duration_ms: float | None = None
    error: str | None = None
    stop_reason: str | None = None
    stop_code: str | None = None  # condition_failed, wait_timeout; None for a `stop:` the automation wrote

    def add(self, step: Step) -> Step:
        if len(self.steps) < MAX_TRACE_STEPS:
            self.steps.append(step)
        else:
            self.dropped_steps += 1
        return step

    def finish(self, execution: str, at: datetime, now: float, error: str | None = None) -> None:
        self.state = "stopped"
        self.script_execution = execution
        self.finished_at = at.isoformat()
        self.duration_ms = (now - self.started) * 1000
        self.error = error

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "automation_id": self.automation_id,
            "entity_id": self.entity_id,
            "context": {"id": self.context_id, "parent_id": self.parent_context_id},
            "trigger": jsonable(self.trigger),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_ms": None if self.duration_ms is None else round(self.duration_ms, 3),
            "state": self.state,
            "script_execution": self.script_execution,
            "error": self.error,
            "stop_reason": self.stop_reason,
            "stop_code": self.stop_code,
            "steps": [s.as_dict() for s in self.steps],
            "dropped_steps": self.dropped_steps,
        }


class TraceStore:
    """automation id -> its last runs (newest last). Kept across reloads; gone with the hub."""

    def __init__(self) -> None:
        self._runs: dict[str, deque[RunTrace]] = {}

    def add(self, trace: RunTrace, keep: int) -> None:
        runs = self._runs.get(trace.automation_id)
        if runs is None or runs.maxlen != keep:
            runs = deque(runs or (), maxlen=keep)
            self._runs[trace.automation_id] = runs
        runs.append(trace)

    def get(self, automation_id: str) -> list[RunTrace]:
        return list(self._runs.get(automation_id, ()))
