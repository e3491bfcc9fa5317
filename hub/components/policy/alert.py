"""The plant's heavy-pollution alert level: who set it, for how long, and which control measure.

The level in force is kept in a small JSON file in the data directory (written to a temporary name,
flushed and renamed, so a power cut leaves the old or the new file, never half of one). An alert may
be scheduled: with a start in the future it waits as `pending`; with an end it falls back to normal
then. `step()` is the pure schedule; the AlertLevels object applies it, persists and announces.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from hub.util.files import write_atomic

from .const import AlertLevel

_LOGGER = logging.getLogger(__name__)
RESPONSE_OF = {"yellow": "III", "orange": "II", "red": "I"}
LEVEL_OF_RESPONSE = {"III": "yellow", "II": "orange", "I": "red", "IV": "yellow"}
_ROMAN = {"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅳ": "IV", "1": "I", "2": "II", "3": "III", "4": "IV"}


def normalise_response(value: str | None) -> str | None:
    """`Ⅱ`, `II级`, `2`, `ii` -> `II`; None stays None."""
    if value is None or not str(value).strip():
        return None
    text = str(value).strip().upper().removesuffix("级").removesuffix("响应").removesuffix("级")
    text = _ROMAN.get(text, text)
    if text not in ("I", "II", "III", "IV"):
        raise ValueError(f"unknown response level {value!r}; one of I, II, III, IV (Ⅰ-Ⅳ级)")
    return text


@dataclass(frozen=True, slots=True)
class AlertState:
    level: str = AlertLevel.NORMAL.value
    response_level: str | None = None
    measure_code: int | None = None
    measure: str | None = None  # the platform's measure text, or the officer's note
    start: datetime | None = None
    end: datetime | None = None
    source: str = "default"  # officer, platform, schedule, default
    reason: str | None = None
    user_id: str | None = None
    changed_at: datetime | None = None
    pending: AlertState | None = None  # scheduled to start later

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("start", "end", "changed_at"):
            out[key] = out[key].isoformat() if out[key] else None
        out["pending"] = self.pending.as_dict() if self.pending else None
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AlertState:
        fields = dict(data)
        for key in ("start", "end", "changed_at"):
            fields[key] = datetime.fromisoformat(fields[key]) if fields.get(key) else None
        fields["level"] = AlertLevel(fields.get("level", "normal")).value
        fields["pending"] = cls.from_dict(fields["pending"]) if fields.get("pending") else None
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in fields.items() if k in known})

    def same_as(self, other: AlertState) -> bool:
        """The same alert in force (the time it was set and who repeated it aside)."""
        keys = ("level", "response_level", "measure_code", "measure", "end")
        return all(getattr(self, k) == getattr(other, k) for k in keys) and self.pending is None

    def same_rules(self, other: AlertState) -> bool:
        return (self.level, self.measure_code) == (other.level, other.measure_code)


def step(state: AlertState, now: datetime) -> AlertState | None:
    """The state the schedule moves to at `now`, or None when nothing is due."""
    pending = state.pending
    if pending is not None and pending.start is not None and pending.start <= now:
        if pending.end is not None and pending.end <= now:  # its whole period passed while we were down
            return replace(_ended(state, now), pending=None)
        return replace(pending, changed_at=now, pending=None)
    if state.end is not None and state.end <= now and (state.level != "normal" or state.measure_code):
        return _ended(state, now)
    return None


def _ended(state: AlertState, now: datetime) -> AlertState:
    return AlertState(
        source="schedule", reason="预警结束 alert period ended", changed_at=now, pending=state.pending
    )


class AlertStore:
    """The JSON file that keeps the level across restarts."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> AlertState:
        try:
            return AlertState.from_dict(json.loads(self.path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return AlertState()
        except (ValueError, TypeError, KeyError) as err:
            # A damaged file must not stop the gates; the officer sees `normal` and sets it again.
            _LOGGER.error("Alert level file %s unreadable (%s); starting at normal", self.path, err)
            return AlertState()

    def save(self, state: AlertState) -> None:
        text = json.dumps(state.as_dict(), ensure_ascii=False, indent=1)
        write_atomic(self.path, text.encode("utf-8"), sync_dir=True)


class AlertLevels:
    """The level in force; `current(now)` applies a due schedule step first, so the next read sees it."""

    def __init__(
        self,
        store: AlertStore,
        on_change: Callable[[AlertState, AlertState], None],
        persist: Callable[[AlertState], None] | None = None,
        state: AlertState | None = None,
    ) -> None:
        self.store = store
        self.state = state if state is not None else store.load()
        self._on_change = on_change
        self._persist = persist or self._save_now

    def current(self, now: datetime) -> AlertState:
        self.tick(now)
        return self.state

    def tick(self, now: datetime) -> bool:
        moved = False
        while (nxt := step(self.state, now)) is not None:
            self._apply(nxt)
            moved = True
        return moved

    def set(self, new: AlertState, now: datetime) -> AlertState:
        """Put `new` in force now, or schedule it when it starts later (replacing any earlier schedule)."""
        if new.start is not None and new.start > now:
            self._apply(replace(self.state, pending=new), announce=False)
        elif self.state.same_as(new):
            pass  # the platform repeats its measure on every poll: nothing changes, nothing is announced
        else:
            self._apply(replace(new, start=new.start or now, changed_at=now, pending=None))
        return self.state

    def cancel_pending(self) -> AlertState | None:
        """Drop the scheduled alert, if any; returns it."""
        pending = self.state.pending
        if pending is not None:
            self._apply(replace(self.state, pending=None), announce=False)
        return pending

    def _apply(self, new: AlertState, announce: bool = True) -> None:
        old, self.state = self.state, new
        self._persist(new)
        if announce:
            self._on_change(old, new)

    def _save_now(self, state: AlertState) -> None:
        try:
            self.store.save(state)
        except OSError as err:
            _LOGGER.error("Cannot save the alert level to %s: %s", self.store.path, err)
