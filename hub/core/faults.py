"""What is wrong with the hub right now, and how to live through it without losing anything.

`Problems`: the hub's active problems (a disk running full, a ledger it cannot write), each with a
reason a person can read. Alarm entities and `/api/health` show them; whoever sees a problem raises
it and clears it when it is gone.

`Spool`: what could not be recorded, kept in memory (bounded) until it can be; overflow is counted
and logged once, never silently.

`ThrottledLog`: one log line per interval for a failure that repeats (a full disk fails every write),
with the count of the ones held back, instead of thousands of lines.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

if TYPE_CHECKING:
    from .hub import Hub

_T = TypeVar("_T")
PROBLEMS_KEY = "core.problems"


class Problems:
    """Active problems by id (e.g. `disk_low`, `ledger`) -> reason; listeners hear every change."""

    def __init__(self) -> None:
        self.active: dict[str, str] = {}
        self._listeners: list[Callable[[str], None]] = []

    def raise_(self, problem: str, reason: str) -> None:
        if self.active.get(problem) != reason:
            self.active[problem] = reason
            self._changed(problem)

    def clear(self, problem: str) -> None:
        if self.active.pop(problem, None) is not None:
            self._changed(problem)

    def listen(self, callback: Callable[[str], None]) -> Callable[[], None]:
        self._listeners.append(callback)
        return lambda: self._listeners.remove(callback)

    def _changed(self, problem: str) -> None:
        for callback in list(self._listeners):
            callback(problem)


def problems_of(hub: Hub) -> Problems:
    """The hub's one `Problems` (kept in hub.data, so that components meet there, not in each other)."""
    found = hub.data.get(PROBLEMS_KEY)
    if not isinstance(found, Problems):
        found = hub.data[PROBLEMS_KEY] = Problems()
    return found


class ThrottledLog:
    """Logs a repeating failure at most once per `interval` seconds, with how many were held back."""

    def __init__(
        self, logger: logging.Logger, interval: float = 30.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.logger = logger
        self.interval = interval
        self._clock = clock
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def log(self, tag: str, level: int, message: str, *args: Any) -> None:
        now = self._clock()
        last = self._last.get(tag)
        if last is not None and now - last < self.interval:
            self._held[tag] = self._held.get(tag, 0) + 1
            return
        held = self._held.pop(tag, 0)
        self._last[tag] = now
        if held:
            message += " (%d more like this in the last %.0f s)"
            args = (*args, held, now - last if last is not None else 0.0)
        self.logger.log(level, message, *args, stacklevel=2)

    def recovered(self, tag: str, message: str, *args: Any) -> None:
        """The failure is over: say so once (with what was held back) and start afresh."""
        if tag not in self._last:
            return
        held = self._held.pop(tag, 0)
        del self._last[tag]
        self.logger.warning(message + " (%d repeat(s) of the failure not logged)", *args, held, stacklevel=2)


class Spool(Generic[_T]):
    """Items waiting to be recorded, oldest first, at most `limit`; the oldest beyond that are dropped,
    counted, and logged once per spell (a spell ends when the spool is empty again)."""

    def __init__(self, name: str, limit: int, logger: logging.Logger) -> None:
        self.name = name
        self.limit = limit
        self.items: deque[_T] = deque()
        self.dropped = 0  # in all, since start
        self._logger = logger
        self._overflow_logged = False

    def __len__(self) -> int:
        return len(self.items)

    def put(self, item: _T) -> None:
        self.items.append(item)
        if len(self.items) > self.limit:
            self.items.popleft()
            self.dropped += 1
            if not self._overflow_logged:
                self._overflow_logged = True
                self._logger.error(
                    "%s spool full (%d): the oldest are dropped from now on; see the dropped count",
                    self.name,
                    self.limit,
                )

    def put_front(self, item: _T) -> None:
        """Back to the head: it failed again, and keeps its place before the newer ones."""
        self.items.appendleft(item)

    def take(self) -> _T:
        item = self.items.popleft()
        if not self.items:
            self._overflow_logged = False
        return item
