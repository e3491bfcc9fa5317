"""The event bus: fire-and-forget events, delivered to each listener in the order they were fired."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType
from typing import Any, Generic, overload

from typing_extensions import TypeVar

from .clock import Clock
from .const import MATCH_ALL, EventType
from .context import Context

_LOGGER = logging.getLogger(__name__)

# Covariant: a listener that takes any Event (Event[Mapping[str, Any]]) takes an Event[PlateReadData].
_DataT_co = TypeVar("_DataT_co", bound=Mapping[str, Any], default=Mapping[str, Any], covariant=True)
_DataT = TypeVar("_DataT", bound=Mapping[str, Any], default=Mapping[str, Any])

# A listener of one event type: a plain function (runs inside async_fire) or a coroutine function.
Listener = Callable[["Event[_DataT]"], None] | Callable[["Event[_DataT]"], Awaitable[None]]
EventFilter = Callable[["Event[_DataT]"], bool]


@dataclass(frozen=True, slots=True)
class Event(Generic[_DataT_co]):
    """One event. `data` is what its EventType declares (hub/core/events.py), read-only at run time."""

    event_type: str
    data: _DataT_co
    context: Context
    time_fired: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "event_type": self.event_type,
            "data": dict(self.data),
            "context": self.context.as_dict(),
            "time_fired": self.time_fired.isoformat(),
        }


@dataclass(eq=False, slots=True)
class _Subscription:
    """One listener. Coroutine listeners get a queue and a worker so their events stay in order."""

    event_type: str
    listener: Callable[[Event[Any]], Any]  # returns an awaitable when is_async
    event_filter: EventFilter[Any] | None
    is_async: bool
    queue: asyncio.Queue[Event[Any]] | None = None
    worker: asyncio.Task[None] | None = None
    once: bool = False
    done: bool = False


class EventBus:
    """Delivers events to listeners.

    A plain-function listener runs at once, inside `async_fire`, in subscription order. A coroutine
    listener gets its events through its own queue, one at a time, in the order they were fired, so a
    slow listener never reorders or delays another. A listener's exception is logged; the bus goes on.
    """

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._subs: dict[str, list[_Subscription]] = {}
        self._workers: set[asyncio.Task[None]] = set()

    @overload
    def async_listen(
        self,
        event_type: EventType[_DataT],
        listener: Listener[_DataT],
        *,
        event_filter: EventFilter[_DataT] | None = None,
        once: bool = False,
    ) -> Callable[[], None]: ...

    @overload
    def async_listen(
        self,
        event_type: str,
        listener: Listener[Mapping[str, Any]],
        *,
        event_filter: EventFilter[Mapping[str, Any]] | None = None,
        once: bool = False,
    ) -> Callable[[], None]: ...

    def async_listen(
        self,
        event_type: str,
        listener: Listener[Any],
        *,
        event_filter: EventFilter[Any] | None = None,
        once: bool = False,
    ) -> Callable[[], None]:
        """Subscribe; returns the callable that unsubscribes.

        With an EventType the listener (and filter) must take that type's Event; with a plain name
        (MATCH_ALL, an event named in an automation) they must take any Event."""
        sub = _Subscription(
            str(event_type), listener, event_filter, asyncio.iscoroutinefunction(listener), once=once
        )
        self._subs.setdefault(sub.event_type, []).append(sub)
        return lambda: self._remove(sub)

    @overload
    def async_listen_once(
        self, event_type: EventType[_DataT], listener: Listener[_DataT]
    ) -> Callable[[], None]: ...

    @overload
    def async_listen_once(
        self, event_type: str, listener: Listener[Mapping[str, Any]]
    ) -> Callable[[], None]: ...

    def async_listen_once(self, event_type: str, listener: Listener[Any]) -> Callable[[], None]:
        return self.async_listen(event_type, listener, once=True)

    def _remove(self, sub: _Subscription) -> None:
        # Events already queued for a coroutine listener are still delivered: they were fired
        # while it was subscribed.
        subs = self._subs.get(sub.event_type, [])
        if sub in subs:
            subs.remove(sub)
            if not subs:
                del self._subs[sub.event_type]
        sub.done = True

    def async_fire(
        self,
        event_type: EventType[_DataT],
        data: _DataT | None = None,
        context: Context | None = None,
    ) -> Event[_DataT]:
        """Deliver an event. Only an EventType is taken, so that the type checker checks `data`
        against what the name declares; an event named at run time (an automation's) is fired as
        `EventType(name)`, which takes any mapping. Nothing is validated here: this is the hot path."""
        event: Event[Any] = Event(
            str(event_type),
            MappingProxyType(dict(data or {})),
            context or Context(),
            self._clock.now(),
        )
        targets = [*self._subs.get(event.event_type, ()), *self._subs.get(MATCH_ALL, ())]
        for sub in targets:
            if sub.done:
                continue
            if sub.event_filter is not None:
                try:
                    if not sub.event_filter(event):
                        continue
                except Exception:
                    _LOGGER.exception("Event filter for %s failed", event.event_type)
                    continue
            if sub.once:
                self._remove(sub)
            if sub.is_async:
                self._enqueue(sub, event)
            else:
                try:
                    sub.listener(event)
                except Exception:
                    _LOGGER.exception("Listener %r failed on %s", sub.listener, event.event_type)
        return event

    def _enqueue(self, sub: _Subscription, event: Event[Any]) -> None:
        if sub.queue is None:
            sub.queue = asyncio.Queue()
        sub.queue.put_nowait(event)
        if sub.worker is None or sub.worker.done():
            sub.worker = asyncio.get_running_loop().create_task(self._drain(sub))
            self._workers.add(sub.worker)
            sub.worker.add_done_callback(self._workers.discard)

    async def _drain(self, sub: _Subscription) -> None:
        assert sub.queue is not None
        while not sub.queue.empty():
            event = sub.queue.get_nowait()
            try:
                await sub.listener(event)
            except Exception:
                _LOGGER.exception("Listener %r failed on %s", sub.listener, event.event_type)
            finally:
                sub.queue.task_done()

    @overload
    async def async_wait_for(
        self,
        event_type: EventType[_DataT],
        predicate: EventFilter[_DataT] | None = None,
        timeout: float = 10.0,
    ) -> Event[_DataT]: ...

    @overload
    async def async_wait_for(
        self,
        event_type: str,
        predicate: EventFilter[Mapping[str, Any]] | None = None,
        timeout: float = 10.0,
    ) -> Event: ...

    async def async_wait_for(
        self,
        event_type: str,
        predicate: EventFilter[Any] | None = None,
        timeout: float = 10.0,
    ) -> Event[Any]:
        """Wait for the next event of a type that satisfies `predicate`; TimeoutError after `timeout`."""
        future: asyncio.Future[Event[Any]] = asyncio.get_running_loop().create_future()

        def catch(event: Event[Any]) -> None:
            if not future.done():
                future.set_result(event)

        unsub = self.async_listen(event_type, catch, event_filter=predicate)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(f"no {event_type} event within {timeout} s") from None
        finally:
            unsub()

    def async_pending(self) -> bool:
        """True while any coroutine listener still has events to handle."""
        return bool(self._workers)

    async def async_drain(self) -> None:
        """Wait until every coroutine listener has handled what it was given."""
        while self._workers:
            await asyncio.gather(*self._workers, return_exceptions=True)

    def listener_counts(self) -> dict[str, int]:
        return {event_type: len(subs) for event_type, subs in self._subs.items()}

    def async_close(self) -> None:
        """Drop every listener (on hub stop)."""
        for subs in list(self._subs.values()):
            for sub in list(subs):
                self._remove(sub)
