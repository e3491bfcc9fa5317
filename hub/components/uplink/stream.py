"""One kind of record a platform receives, as an object that owns its place and its schedule.

A stream is the core's DataUpdateCoordinator (Home Assistant's `helpers/update_coordinator.py`) whose
refresh is one send step: it runs at once when there is something new (`wake`), again at once while it
had work, and otherwise every `interval` seconds (on the loop or on the hub's clock, whichever comes
first, so a test's `ManualClock.advance()` drives it). Each stream keeps its own cursor, saved with its
progress. A step that fails for a reason of its own (a record the platform will not confirm, a bug) backs
off alone, so no stream can starve the passages; when the platform cannot be reached the stream hands
itself to the link, which probes the platform and wakes it when the platform is back.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from hub.core.coordinator import DataUpdateCoordinator

from .retry import Backoff
from .transport import AuthError, TransportError, Unconfirmed

if TYPE_CHECKING:
    from .link import PlatformLink
    from .store import Places

_LOGGER = logging.getLogger(__name__)


class Stream(DataUpdateCoordinator[None]):
    def __init__(self, link: PlatformLink, key: str, default: float) -> None:
        """By the profile's schedule of `key`: `every N` goes every N seconds and takes no wake-ups;
        anything else is realtime, and looked at every `default` seconds besides."""
        schedule = link.profile.schedule_of(key, link.conf.schedule)
        self.realtime = not schedule.startswith("every")
        self.interval = default if self.realtime else float(schedule.split()[1])
        super().__init__(
            link.hub, _LOGGER, name=f"Uplink {link.name} {key}", update_interval=self.interval,
            update_method=self._async_turn, tracked=False,
        )  # fmt: skip
        self.link, self.key = link, key
        retry = link.conf.retry
        self.backoff = Backoff(retry.initial_seconds, retry.max_seconds)
        self.waiting: str | None = None  # why the step failed alone, while it waits out its back-off
        self._woken = False

    def restore(self, places: Places) -> None:
        """Take the stream's own place from what was stored (streams without one keep none)."""

    @property
    def wanted(self) -> bool:
        """Whether the platform's profile takes this stream at all (else it is never started)."""
        return True

    async def async_step(self) -> bool:
        """Send one batch past the cursor; True while there may be more."""
        raise NotImplementedError

    def wake(self) -> None:
        """Something new to send: at once, unless the stream goes on a schedule of its own (`every N`)
        or waits out a back-off of its own."""
        if self.realtime and self.wanted and self.waiting is None:
            self._woken = True
            self.async_request_refresh()

    async def _async_turn(self) -> None:
        woken, self._woken = self._woken, False
        self.update_interval = self.interval
        if not self.link.may_send(self, woken):
            self.update_interval = None  # the link wakes the stream when the platform is back
            return
        try:
            busy = await self.async_step()
        except Unconfirmed as err:  # the platform answers, but not for these records: they wait alone
            self._wait_alone(str(err))
        except AuthError as err:  # a person must mend the credentials: no quick retries meanwhile
            self.update_interval = None
            self.link.unreachable(self, str(err), credentials=True)
        except TransportError as err:
            self.update_interval = None
            self.link.unreachable(self, str(err))
        except Exception as err:  # a bug, bad data, a locked database: the other streams go on meanwhile
            self._wait_alone(f"{type(err).__name__}: {err}", err)
        else:
            if self.waiting is not None:
                self.waiting = None
                self.backoff.reset()
                self.link.notify()
            if busy:
                self.async_request_refresh()

    def _wait_alone(self, error: str, exc: Exception | None = None) -> None:
        delay = self.backoff.next(self.link.cap(self.key))
        _LOGGER.warning("Uplink %s: %s step waits %.1f s alone: %s", self.link.name, self.key, delay, error,
                        exc_info=exc if error != self.waiting else None)  # fmt: skip
        self.waiting, self.update_interval = error, delay
        self.link.notify()
