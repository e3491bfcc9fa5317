"""One device's data shared by its entities: fetched on an interval, or pushed by the device's client.

Home Assistant's `helpers/update_coordinator.py`, small. The device client either gives an
`update_method` and an `update_interval` (the coordinator polls), or keeps its own connection and calls
`async_set_updated_data` / `async_set_update_error` / `async_update_listeners` (it pushes). Entities
subscribe with `async_add_listener` (a `CoordinatorEntity` does it for them, and lets go on removal).
Unlike HA's, a listener gets the change's `Context`: the state a command caused carries who commanded.

`last_update_success` is what entities show as `available`; it starts False (nothing fetched yet: a
device that never answered is unavailable, not "unknown"). The first failure of an outage is logged as
a warning, the rest of it at debug level, and the recovery once, with how long it lasted.

A poll is due when `update_interval` seconds have passed on the hub's clock (`hub.clock.call_later`:
on the event loop or on the monotonic clock, whichever comes first), so a test's `ManualClock.advance()`
runs a due poll at once (as HA's `async_fire_time_changed`) while a simulated device still gets polled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .context import Context
from .entity import Entity

if TYPE_CHECKING:
    from .hub import Hub

_DataT = TypeVar("_DataT")
Listener = Callable[[Context | None], None]


class UpdateFailed(Exception):
    """The device did not answer (or answered nonsense): the coordinator logs it, first loud then quiet."""


class DataUpdateCoordinator(Generic[_DataT]):
    def __init__(
        self,
        hub: Hub,
        logger: logging.Logger,
        *,
        name: str,
        update_interval: float | None = None,
        update_method: Callable[[], Awaitable[_DataT]] | None = None,
        always_update: bool = True,
        tracked: bool = True,
    ) -> None:
        self.hub, self.logger, self.name = hub, logger, name
        self.update_interval = update_interval
        self.update_method = update_method
        self.always_update = always_update  # False: tell listeners only when the data changed
        # False: a refresh is a long-running sender (the uplink's streams), not queued work that
        # block_till_done and the hub's stop wait for.
        self.tracked = tracked
        self.data: _DataT | None = None
        self.last_update_success = False
        self.last_exception: Exception | None = None
        self._listeners: list[Listener] = []
        self._failing_since: float | None = None  # hub.clock.monotonic() of the outage's first failure
        self._cancel_poll: Callable[[], None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._again = False  # a refresh was asked for while one ran
        self._closed = False

    @property
    def last_error(self) -> str | None:
        """Why the device is not answering now (None while it answers)."""
        err = None if self.last_update_success else self.last_exception
        return None if err is None else str(err)

    # ----- listeners ---------------------------------------------------------------------------
    def async_add_listener(self, listener: Listener) -> Callable[[], None]:
        """Call `listener(context)` on every update; returns the remove callable."""
        self._listeners.append(listener)

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return remove

    def async_update_listeners(self, context: Context | None = None) -> None:
        """Tell every listener; `context` is who caused the change (a command), None for the device."""
        for listener in list(self._listeners):
            try:
                listener(context)
            except Exception:
                self.logger.exception("%s: listener %r failed", self.name, listener)

    # ----- pushed ------------------------------------------------------------------------------
    def async_set_updated_data(self, data: _DataT, context: Context | None = None) -> None:
        """The device answered with `data`: available again, listeners told (if it changed)."""
        changed = self.always_update or not self.last_update_success or data != self.data
        self.data = data
        if not self.last_update_success:
            if self._failing_since is not None:
                elapsed = self.hub.clock.monotonic() - self._failing_since
                self.logger.info("%s: answering again after %.1f s", self.name, elapsed)
            self.last_update_success, self.last_exception, self._failing_since = True, None, None
        if changed:
            self.async_update_listeners(context)

    def async_set_update_error(self, err: Exception) -> None:
        """The device did not answer: unavailable; the outage's first failure is logged loud."""
        self.last_exception = err
        if self._failing_since is not None:
            self.logger.debug("%s: still not answering: %s", self.name, err)
            return
        self.logger.warning("%s: not answering: %s (retrying)", self.name, err)
        self._failing_since = self.hub.clock.monotonic()
        self.last_update_success = False
        self.async_update_listeners()

    # ----- polled ------------------------------------------------------------------------------
    def async_start(self) -> None:
        """Fetch now and then every `update_interval` until the hub stops."""
        self.hub.async_on_stop(self.async_shutdown)
        self.async_request_refresh()

    async def async_refresh(self) -> None:
        """Fetch once with `update_method` and publish the answer or the failure."""
        if self.update_method is None:
            raise NotImplementedError(f"{self.name}: no update_method to refresh with")
        try:
            data = await self.update_method()
        except UpdateFailed as err:
            self.async_set_update_error(err)
        except Exception as err:  # a bug, not an absent device: the traceback matters
            self.logger.exception("%s: unexpected error fetching data", self.name)
            self.async_set_update_error(err)
        else:
            self.async_set_updated_data(data)

    def async_request_refresh(self) -> None:
        """Fetch as soon as possible (after a command), not at the next interval."""
        if self._closed:
            return
        self._cancel_timer()
        if self._task is not None and not self._task.done():
            self._again = True
            return
        refresh = self._async_refresh_then_schedule()
        if self.tracked:
            self._task = self.hub.async_create_task(refresh, name=self.name)
        else:
            self._task = self.hub.async_create_background_task(refresh, name=self.name)

    async def _async_refresh_then_schedule(self) -> None:
        self._again = True
        while self._again and not self._closed:
            self._again = False
            await self.async_refresh()
        if self.update_interval is not None and not self._closed:
            self.async_schedule_refresh(self.update_interval)

    def async_schedule_refresh(self, seconds: float) -> None:
        """Refresh in `seconds` (on the loop or the hub's clock, whichever comes first), not at once."""
        if self._closed:
            return
        self._cancel_timer()
        self._cancel_poll = self.hub.clock.call_later(seconds, self.async_request_refresh)

    def _cancel_timer(self) -> None:
        if self._cancel_poll is not None:
            self._cancel_poll()
            self._cancel_poll = None

    async def async_shutdown(self, grace: float = 0.0) -> None:
        """No more refreshes; one in flight may finish within `grace` seconds (its answer kept)."""
        self._closed = True
        self._cancel_timer()
        if self._task is not None and not self._task.done():
            if grace > 0:
                await asyncio.wait({self._task}, timeout=grace)
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)


_CoordinatorT = TypeVar("_CoordinatorT", bound="DataUpdateCoordinator[Any]")


class CoordinatorEntity(Entity, Generic[_CoordinatorT]):
    """An entity that shows its coordinator's device: available while the last fetch worked."""

    def __init__(self, coordinator: _CoordinatorT) -> None:
        self.coordinator = coordinator

    @property
    def available(self) -> bool:
        return bool(self.coordinator.last_update_success)

    async def async_added_to_hub(self) -> None:
        self.async_on_remove(self.coordinator.async_add_listener(self._handle_coordinator_update))

    def _handle_coordinator_update(self, context: Context | None) -> None:
        self.async_write_state(context)
