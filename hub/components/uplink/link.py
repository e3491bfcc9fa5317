"""One platform: the session with it (transport, reachability, its answers) and the streams it receives.

Each stream (ledger records, resends, register, alert-level switches, control measure, daily
statistics, device status, 一厂一策) is an object that owns its cursor and its schedule (stream.py, the
core's DataUpdateCoordinator) and sends through this link. When the platform cannot be reached, the
link backs off and probes its port (retry.py); a stream with something new to send cuts the wait short;
when the platform answers again, every stream that waited for it is woken. Nothing is lost meanwhile,
because the ledger is the outbox.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from hub.core import Hub
from hub.core.coordinator import DataUpdateCoordinator

from .config import PlatformConfig, UplinkConfig
from .delivery import Entry, async_deliver
from .devices import DeviceStream
from .http_transport import HttpTransport
from .online import OnePolicyStream
from .outbox import DueCounter, LedgerStream
from .profile import Profile
from .register_feed import RegisterStream
from .resend import ResendStream
from .retry import Backoff, async_reachable
from .side import AlertStream, ControlStream, DailyStatsStream
from .store import LinkStore
from .stream import Stream
from .tcp_transport import TcpTransport
from .transport import Outcome, Transport

_LOGGER = logging.getLogger(__name__)


def build_transport(hub: Hub, conf: PlatformConfig, profile: Profile, plant_code: str) -> Transport:
    def now() -> float:
        return hub.now().timestamp()

    if profile.transport == "tcp":
        parts = urlsplit(conf.url)
        if parts.scheme != "tcp" or parts.port is None:
            raise ValueError(f"platform {conf.name}: profile {profile.name} needs a tcp://host:port url")
        return TcpTransport(
            profile, parts.hostname or "127.0.0.1", parts.port, account=conf.account, key=conf.key,
            plant_code=plant_code, now=now, timeout=conf.retry.request_timeout, name=conf.name,
        )  # fmt: skip
    if not conf.url.startswith(("http://", "https://")):
        raise ValueError(f"platform {conf.name}: profile {profile.name} needs an http(s):// url")
    return HttpTransport(
        profile, conf.url, account=conf.account, key=conf.key, secret=conf.secret, now=now,
        timeout=conf.retry.request_timeout, verify_tls=conf.verify_tls, name=conf.name,
        plant_code=plant_code,
    )  # fmt: skip


class PlatformLink:
    def __init__(self, hub: Hub, conf: PlatformConfig, profile: Profile, uplink: UplinkConfig) -> None:
        self.hub, self.conf, self.uplink, self.name = hub, conf, uplink, conf.name
        profile = profile.with_codes(conf.codes)
        if conf.heartbeat_seconds is not None:
            tcp = profile.tcp.model_copy(update={"heartbeat_seconds": conf.heartbeat_seconds})
            profile = profile.model_copy(update={"tcp": tcp})
        self.profile = profile
        self.batch_size = conf.batch_size or profile.batch_size
        code = conf.plant_code or uplink.plant.code
        self.plant = {"code": code, "name": uplink.plant.name, "region": uplink.plant.region}
        self.store = LinkStore(conf.name, hub.now)
        self.transport = build_transport(hub, conf, self.profile, code)
        self.transport.on_push = self._on_push
        if isinstance(self.transport, TcpTransport):
            self.transport.on_state = self.notify
        self.backoff = Backoff(conf.retry.initial_seconds, conf.retry.max_seconds)
        self.failing, self.requests, self.records_sent = False, 0, 0
        self.last_error: str | None = None
        self.last_ok: str | None = None
        self.checks: Counter[str] = Counter()  # vehicle checks: allow, deny, failed, abandoned, skipped
        # The status entities listen here; the link and its streams push (notify), nothing is polled.
        self.coordinator = DataUpdateCoordinator[None](hub, _LOGGER, name=f"Uplink {conf.name}")
        # After a failure: the next look at the platform (a probe of its port), on its own schedule.
        self._probe = DataUpdateCoordinator[None](hub, _LOGGER, name=f"Uplink {conf.name} probe",
                                                  update_method=self._async_probe, tracked=False)  # fmt: skip
        self._waiting: set[Stream] = set()  # streams that wait for the platform to answer again
        self._away = False  # streams wait until a probe finds the platform (or the wait is over)
        self._urgent = False  # a stream with something to send waits: attempts at least every waiting_max
        self._credentials = False  # the failure is the credentials': only time (and a person) helps
        self._warned: set[str] = set()
        self._shown_day = ""
        self.counter = DueCounter(self)
        self.ledger = LedgerStream(self, self.counter)
        self.resend = ResendStream(self, self.ledger)
        self.register = RegisterStream(self)
        self.alerts = AlertStream(self)
        self.control = ControlStream(self)
        self.daily = DailyStatsStream(self)
        self.devices = [DeviceStream(self, message) for message in DeviceStream.MESSAGES]
        self.one_policy = OnePolicyStream(self)
        self.every: list[Stream] = [self.alerts, self.ledger, self.register, self.control, self.daily,
                                    self.resend, *self.devices, self.one_policy]  # fmt: skip
        self.streams = [stream for stream in self.every if stream.wanted]

    # ----- life ----------------------------------------------------------------------------------
    async def async_start(self) -> None:
        places = await self.store.async_load()
        self.counter.restore(places)
        for stream in self.every:  # the unwanted too: the control measure's id counts for TCP pushes
            stream.restore(places)
        await self.transport.async_start()
        self._probe.async_start()
        self.counter.async_start()
        for stream in self.streams:
            stream.async_start()

    async def async_stop(self) -> None:
        """Let a request in flight finish (within the grace time) so that its answer is kept."""
        grace = self.uplink.stop_grace_seconds
        await self._probe.async_shutdown()
        await asyncio.gather(*(s.async_shutdown(grace) for s in (*self.streams, self.counter)))
        await self.transport.async_stop()

    def notify(self) -> None:
        self._shown_day = self.today()
        self.coordinator.async_update_listeners()

    def notify_new_day(self) -> None:
        """The "today" figures start again at the plant's midnight."""
        if self.today() != self._shown_day:
            self.notify()

    @property
    def connected(self) -> bool:
        return bool(self.transport.connected) and not self.failing

    def status(self) -> dict[str, Any]:
        """The session as `uplink.status` and the connected entity show it."""
        waiting = {s.key: s.waiting for s in self.streams if s.waiting is not None}
        return {
            "url": self.conf.url, "profile": self.profile.name, "transport": self.profile.transport,
            "connected": self.connected, "last_error": self.last_error, "last_ok": self.last_ok,
            "requests": self.requests, "records_sent": self.records_sent,
            "failed_attempts": self.backoff.failures, "steps_waiting": waiting,
        }  # fmt: skip

    # ----- reachability --------------------------------------------------------------------------
    def succeeded(self) -> None:
        self.backoff.reset()
        if self._away:  # the platform answered a request in flight: the waiting streams need no probe
            self._resume()
        changed = self.failing
        self.failing, self.last_ok = False, self.hub.now().isoformat()
        if changed:
            _LOGGER.info("Uplink %s: platform reachable again", self.name)
            self.notify()

    def may_send(self, stream: Stream, woken: bool) -> bool:
        """Whether a stream may try now; while the platform is away it waits for the link, and a stream
        with something new to send has the platform probed at once."""
        if not self._away:
            return True
        self._waiting.add(stream)
        if woken:
            self._urgent = True
            if not self._credentials:
                self._probe.async_request_refresh()
        return False

    def unreachable(self, stream: Stream, error: str, *, credentials: bool = False) -> None:
        """A stream could not reach the platform: it waits, and the platform is probed after a back-off."""
        self._waiting.add(stream)
        self._urgent = self._urgent or stream.key != "control"
        if self._away:  # another stream found out first; its back-off holds
            return
        self._away, self._credentials = True, credentials
        delay = self.backoff.next(None if credentials else self.cap())
        if not self.failing or error != self.last_error:
            _LOGGER.warning("Uplink %s: %s; retrying in %.1f s", self.name, error, delay)
        self.failing, self.last_error = True, error
        self.notify()
        self._probe.async_schedule_refresh(delay)

    async def _async_probe(self) -> None:
        if not self._away:
            return
        if not self._credentials and not await async_reachable(
            self.conf.url, self.conf.retry.request_timeout
        ):
            self._probe.async_schedule_refresh(self.backoff.next(self.cap()))
            self.notify()  # the attempts counted so far
            return
        self._resume()

    def _resume(self) -> None:
        """The streams try again; the first answer says the platform is back."""
        self._away = self._urgent = False
        waiting, self._waiting = self._waiting, set()
        for stream in waiting:
            stream.async_request_refresh()

    def cap(self, stream: str | None = None) -> float | None:
        """While records wait (every stream but the control poll fails only with something to send),
        attempts come at least every `waiting_max_seconds`."""
        urgent = self._urgent or stream not in (None, "control")
        if urgent or any(counts.pending for counts in self.store.days.values()):
            return self.conf.retry.waiting_max_seconds
        return None

    # ----- sending -------------------------------------------------------------------------------
    async def async_deliver(self, message: str, entries: Sequence[Entry]) -> dict[str, Outcome]:
        """Outcome per record id (delivery.py); raises TransportError when the platform is away."""
        return await async_deliver(self, message, entries)

    def envelope_context(self) -> dict[str, Any]:
        return {"plant": self.plant, "sent_at": self.hub.now()}

    def note_request(self, records: int) -> None:
        self.requests += 1
        self.records_sent += records

    def warn_once(self, key: str, text: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            _LOGGER.warning("Uplink %s: %s", self.name, text)

    async def _on_push(self, message: str, data: Mapping[str, Any]) -> Mapping[str, Any] | None:
        if message == "control":
            await self.control.async_apply(data)
        return None

    # ----- figures -------------------------------------------------------------------------------
    def today(self) -> str:
        return self.hub.now().date().isoformat()

    def figures(self, day: str | None = None) -> dict[str, Any]:
        return self.store.figures(day or self.today())
