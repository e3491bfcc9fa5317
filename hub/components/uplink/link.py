"""One platform: its transport, its place in the ledger, and the delivery loop that keeps it fed.

The loop runs the steps in turn (alert switches, ledger records, register, control measure, daily
statistics, resends), one batch each, until none has work; then it waits for a wake-up (a passage was
recorded, the register changed) or the next scheduled look. When the platform cannot be reached it
backs off and probes (retry.py); nothing is lost meanwhile, because the ledger is the outbox. A step
that fails for a reason of its own is benched alone: no stream can starve the passages.
A second loop, with no network, counts each new ledger row into its day's `due` figure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from hub.core import Hub
from hub.core.coordinator import DataUpdateCoordinator

from . import devices, online, outbox, side
from .config import PlatformConfig, UplinkConfig
from .const import ACCEPTED, DUPLICATE, MSG_PASSAGE, MSG_UPDATE, PARKED_SHOWN, READ_AHEAD, REJECTED
from .http_transport import HttpTransport
from .messages import message_of, record_day, record_id
from .profile import Profile
from .register_feed import FeedReads
from .retry import Backoff, Bench, async_reachable
from .store import Cursor, DayCounts, LinkStore, Progress
from .tcp_transport import TcpTransport
from .transport import AuthError, Outcome, Transport, TransportError, Unconfirmed

_LOGGER = logging.getLogger(__name__)
CURSOR_FIELDS = ("acked_seq", "acked_above", "sent_seq")
STEPS = (
    ("alert_level", side.async_alert_step), ("passages", outbox.async_ledger_step),
    ("register", side.async_register_step), ("control", side.async_control_step),
    ("daily_stats", side.async_daily_step), ("resend", outbox.async_resend_step),
    ("devices", devices.async_device_step), ("one_policy", online.async_one_policy_step),
)  # fmt: skip


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
        self.hub = hub
        self.conf = conf
        self.uplink = uplink
        self.name = conf.name
        profile = profile.with_codes(conf.codes)
        if conf.heartbeat_seconds is not None:
            tcp = profile.tcp.model_copy(update={"heartbeat_seconds": conf.heartbeat_seconds})
            profile = profile.model_copy(update={"tcp": tcp})
        self.profile = profile
        self.batch_size = conf.batch_size or profile.batch_size
        self.photo_mode = conf.photos or profile.photos.mode
        code = conf.plant_code or uplink.plant.code
        self.plant = {"code": code, "name": uplink.plant.name, "region": uplink.plant.region}
        self.store = LinkStore(conf.name)
        self.cursor = Cursor()
        self.transport = build_transport(hub, conf, self.profile, code)
        self.transport.on_push = self._on_push
        if isinstance(self.transport, TcpTransport):
            self.transport.on_state = self.notify
        self.backoff = Backoff(conf.retry.initial_seconds, conf.retry.max_seconds)
        self.bench = Bench(conf.retry.initial_seconds, conf.retry.max_seconds)
        self.last_error: str | None = None
        self.last_ok: str | None = None
        self.failing = False
        self.requests = 0
        self.records_sent = 0
        self.parked_total = 0
        self.parked_recent: list[dict[str, Any]] = []
        self.register_dirty = True  # a first look at the register after start
        self.register_reads = FeedReads()
        self._wake = asyncio.Event()
        self._scan_wake = asyncio.Event()
        self._scan_lock = asyncio.Lock()
        self._ahead: list[dict[str, Any]] = []
        self._passages: dict[int, dict[str, Any]] = {}  # recent passages that follow-ups refer to
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        # The status entities listen here; the link pushes (notify), nothing is polled.
        self.coordinator: DataUpdateCoordinator[None] = DataUpdateCoordinator(
            hub, _LOGGER, name=f"Uplink {conf.name}"
        )
        self.next_run: dict[str, float] = {}
        self._warned: set[str] = set()
        self._shown_day = ""
        self.checks: Counter[str] = Counter()  # vehicle checks: allow, deny, failed, abandoned, skipped
        self.one_policy: dict[str, Any] | None = None  # 一厂一策: the platform's last answer, as it came

    # ----- life ----------------------------------------------------------------------------------
    async def async_start(self) -> None:
        now = self.hub.now()
        self.cursor = await self.store.async_load(now.date().isoformat(), now.isoformat())
        await self._refresh_parked()
        await self.transport.async_start()
        self._tasks = [
            self.hub.async_create_background_task(self._run(), name=f"uplink {self.name}"),
            self.hub.async_create_background_task(self._scan_loop(), name=f"uplink {self.name} scan"),
        ]

    async def async_stop(self) -> None:
        """Let a request in flight finish (within the grace time) so that its answer is kept."""
        self._stop.set()
        self._wake.set()
        self._scan_wake.set()
        tasks = [t for t in self._tasks if not t.done()]
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=self.uplink.stop_grace_seconds)
            for task in late:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        await self.transport.async_stop()

    def wake(self, *, scan: bool = True) -> None:
        self._wake.set()
        if scan:
            self._scan_wake.set()

    def notify(self) -> None:
        self._shown_day = self.today()
        self.coordinator.async_update_listeners()

    @property
    def connected(self) -> bool:
        return bool(self.transport.connected) and not self.failing

    # ----- the delivery loop ---------------------------------------------------------------------
    async def _run(self) -> None:
        while not self._stop.is_set():
            busy, failure = await self._round()
            if failure is not None:
                await self._failed(*failure)
            elif not busy:
                await self._idle()

    async def _round(self) -> tuple[bool, tuple[str, str] | None]:
        """Each step once; (whether any had work, (step, error) when the platform could not be reached)."""
        busy = False
        loop = asyncio.get_running_loop()
        for name, step in STEPS:
            if self._stop.is_set():
                return False, None
            if not self.bench.ready(name, loop.time()):
                continue
            try:
                busy = await step(self) or busy
            except Unconfirmed as err:  # the platform answers, but not for these records: they wait alone
                self._bench(name, str(err))
            except AuthError as err:  # a person must mend the credentials: no quick retries meanwhile
                return busy, ("credentials", str(err))
            except TransportError as err:
                return busy, (name, str(err))
            except Exception as err:  # a bug, bad data, a locked database: the others go on meanwhile
                self._bench(name, f"{type(err).__name__}: {err}", err)
            else:
                self.bench.passed(name)
        return busy, None

    def _bench(self, step: str, error: str, exc: Exception | None = None) -> None:
        delay, new = self.bench.failed(step, error, asyncio.get_running_loop().time(), self._cap(step))
        _LOGGER.warning("Uplink %s: %s step waits %.1f s alone: %s", self.name, step, delay, error,
                        exc_info=exc if new else None)  # fmt: skip
        self.notify()

    def succeeded(self) -> None:
        self.backoff.reset()
        changed = self.failing
        self.failing, self.last_ok = False, self.hub.now().isoformat()
        if changed:
            _LOGGER.info("Uplink %s: platform reachable again", self.name)
            self.notify()

    async def _failed(self, step: str, error: str) -> None:
        """Wait before the next attempt, probing the platform's port meanwhile; a new record to send
        cuts a wait short (it is probed for at once)."""
        delay = self.backoff.next(self._cap(step))
        if not self.failing or error != self.last_error:
            _LOGGER.warning("Uplink %s: %s; retrying in %.1f s", self.name, error, delay)
        self.failing, self.last_error = True, error
        self.notify()
        if step == "credentials":  # the platform answers; only time (and a person) can help
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)
            return
        while not await self._pause(delay):
            if await async_reachable(self.conf.url, self.conf.retry.request_timeout):
                return
            delay = self.backoff.next(self._cap(step))
            self.notify()  # the attempts counted so far

    def _cap(self, step: str) -> float | None:
        """While records wait (every step but the control poll fails only with something to send),
        attempts come at least every `waiting_max_seconds`."""
        if step == "credentials":
            return None
        if step != "control" or any(counts.pending for counts in self.store.days.values()):
            return self.conf.retry.waiting_max_seconds
        return None

    async def _pause(self, seconds: float) -> bool:
        """Sleep until the time is up or something wakes the link; True once it is stopping."""
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), seconds)
        return self._stop.is_set()

    async def _idle(self) -> None:
        timeout = min(self.uplink.idle_poll_seconds, self.uplink.schedule_check_seconds)
        if self.profile.transport == "http" and "control" in self.profile.messages:
            timeout = min(timeout, self.uplink.control_poll_seconds)
        if (benched := self.bench.next_due()) is not None:
            timeout = max(0.0, min(timeout, benched - asyncio.get_running_loop().time()))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout)
        self._wake.clear()
        if self.today() != self._shown_day:  # the "today" figures start again at the plant's midnight
            self.notify()

    def due(self, stream: str) -> bool:
        """Realtime streams are always due; `every N` ones once per N seconds (the loop's own time)."""
        schedule = self.profile.schedule_of(stream, self.conf.schedule)
        if not schedule.startswith("every"):
            return True
        return asyncio.get_running_loop().time() >= self.next_run.get(stream, 0.0)

    def period(self, stream: str, default: float) -> float:
        """Seconds between sends of a stream scheduled `every N` (`default` when it has no such line)."""
        schedule = self.profile.schedule_of(stream, self.conf.schedule)
        return float(schedule.split()[1]) if schedule.startswith("every") else default

    def ran(self, stream: str) -> None:
        schedule = self.profile.schedule_of(stream, self.conf.schedule)
        if schedule.startswith("every"):
            seconds = float(schedule.split()[1])
            self.next_run[stream] = asyncio.get_running_loop().time() + seconds

    # ----- counting what is due ------------------------------------------------------------------
    async def _scan_loop(self) -> None:
        while not self._stop.is_set():
            try:
                await self._scan()
            except Exception:
                _LOGGER.exception("Uplink %s: counting new ledger rows failed", self.name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._scan_wake.wait(), self.uplink.idle_poll_seconds)
            self._scan_wake.clear()

    async def async_count_due(self, through_seq: int) -> None:
        """Count rows into `due` before they are acknowledged, so a rate never shows over 100 %."""
        if through_seq > self.cursor.scanned_seq:
            await self._scan()

    async def _scan(self) -> None:
        async with self._scan_lock:
            await self._scan_locked()

    async def _scan_locked(self) -> None:
        while True:
            rows = await self.read_records(self.cursor.scanned_seq, READ_AHEAD)
            if not rows:
                return
            progress = Progress()
            for row in rows:
                if self.message_for(row) is not None:
                    progress.add(record_day(row), "due")
            self.cursor.scanned_seq = int(rows[-1]["seq"])
            if progress:
                # Rows of kinds we do not send change no figure: their place is saved with the next
                # counted row (counting them again after a restart adds nothing).
                await self.save(progress, ("scanned_seq",))
                self.notify()
            if len(rows) < READ_AHEAD:
                return

    # ----- helpers for the steps -----------------------------------------------------------------
    def message_for(self, record: Mapping[str, Any]) -> str | None:
        """The profile's message for a ledger row: a follow-up kind with a message of its own (cargo,
        weight) goes there, the others as `update`; None when the profile sends no such thing."""
        message = message_of(record)
        if message == MSG_UPDATE and str(record.get("kind")) in self.profile.messages:
            return str(record["kind"])
        return message if message in self.profile.messages else None

    async def passage_row(self, row: Mapping[str, Any]) -> dict[str, Any] | None:
        """The passage a follow-up row refers to (its `ref_seq`), for the passage's serial number."""
        ref = row.get("ref_seq")
        if not isinstance(ref, int) or ref < 1:
            return None
        if (found := self._passages.get(ref)) is not None:
            return found
        rows = await self.read_records(ref - 1, 1)
        if not rows or rows[0]["seq"] != ref or rows[0]["passage_id"] != row.get("passage_id"):
            return None
        if len(self._passages) >= 256:
            self._passages.pop(next(iter(self._passages)))
        self._passages[ref] = rows[0]
        return rows[0]

    def envelope_context(self) -> dict[str, Any]:
        return {"plant": self.plant, "sent_at": self.hub.now()}

    def note_request(self, records: int) -> None:
        self.requests += 1
        self.records_sent += records

    async def rows_after(self, after_seq: int) -> list[dict[str, Any]]:
        """Ledger rows past `after_seq`, through a read-ahead buffer: a step uses a batch of them, and
        the rest (with the lifecycle and acceptance rows in between) need not be read again. Memory only:
        the ledger stays the outbox."""
        buffer = [row for row in self._ahead if row["seq"] > after_seq]
        if len(buffer) < READ_AHEAD // 2:
            start = buffer[-1]["seq"] if buffer else after_seq
            buffer += await self.read_records(start, READ_AHEAD)
        self._ahead = buffer
        return buffer

    async def read_records(self, after_seq: int, limit: int) -> list[dict[str, Any]]:
        return await self.hub.services.async_call(
            "ledger", "read_records", {"after_seq": after_seq, "limit": limit}
        )

    async def save(self, progress: Progress, fields: tuple[str, ...] = CURSOR_FIELDS) -> None:
        await self.store.async_save(self.cursor, progress, self.hub.now().isoformat(), fields=fields)
        if progress.parked or progress.unparked:
            await self._refresh_parked()

    async def _refresh_parked(self) -> None:
        self.parked_total = await self.store.async_parked_count()
        self.parked_recent = [
            {k: p[k] for k in ("record_id", "kind", "day", "gate", "plate", "reason")}
            for p in await self.store.async_parked(PARKED_SHOWN)
        ]

    async def photos_of(self, record: Mapping[str, Any]) -> dict[str, bytes]:
        """The passage's photos from the ledger's evidence store; a missing one is left out."""
        out: dict[str, bytes] = {}
        if not self.hub.services.has_service("ledger", "evidence"):
            self.warn_once("evidence", "the ledger offers no photos (ledger.evidence); sending without")
            return out
        for role in self.profile.photos.fields if self.photo_mode == "inline" else ("plate", "scene"):
            sha = record.get(f"photo_{role}")
            if not sha:
                continue
            try:
                found = await self.hub.services.async_call("ledger", "evidence", {"sha256": sha})
            except Exception as err:
                _LOGGER.warning("Uplink %s: photo %s of %s unavailable: %s", self.name, role,
                                record.get("passage_id"), err)  # fmt: skip
                continue
            data = found.get("data") if isinstance(found, Mapping) else None
            if not data:
                continue
            if len(data) > self.profile.photos.max_bytes:
                _LOGGER.warning("Uplink %s: photo %s of %s has %d bytes, over the profile's limit; not sent",
                                self.name, role, record.get("passage_id"), len(data))  # fmt: skip
                continue
            out[role] = bytes(data)
        return out

    async def write_acceptances(self, answers: Sequence[tuple[Mapping[str, Any], Outcome]]) -> None:
        """The platform's answers as acceptance rows of the ledger (which rows: `acceptance_rows`)."""
        policy = self.conf.acceptance_rows
        calls = []
        for record, outcome in answers:
            rejected = outcome.status == REJECTED
            is_passage = message_of(record) == MSG_PASSAGE
            if policy == "none" or (policy == "rejected" and not rejected):
                continue
            if policy == "passages" and not (is_passage or rejected):
                continue
            status = (
                "rejected" if rejected else "accepted" if outcome.status in (ACCEPTED, DUPLICATE) else None
            )
            if status is None:
                continue
            text = outcome.message or ("已接收" if status == "accepted" else "被拒收")
            if outcome.local:
                text = f"未上传 not sent: {text}"
            data: dict[str, Any] = {"status": status, "message": text[:500], "platform": self.name}
            if not is_passage:
                data |= {"record_id": record_id(record), "record_kind": record.get("kind")}
            calls.append(self.hub.services.async_call(
                "ledger", "record_followup",
                {"passage_id": record["passage_id"], "kind": "acceptance", "data": data},
            ))  # fmt: skip
        for result in await asyncio.gather(*calls, return_exceptions=True):
            if isinstance(result, Exception):
                _LOGGER.warning("Uplink %s: acceptance row not recorded: %s", self.name, result)

    def warn_once(self, key: str, text: str) -> None:
        if key not in self._warned:
            self._warned.add(key)
            _LOGGER.warning("Uplink %s: %s", self.name, text)

    async def _on_push(self, message: str, data: Mapping[str, Any]) -> Mapping[str, Any] | None:
        if message == "control":
            await side.async_apply_control(self, data)
        return None

    # ----- figures -------------------------------------------------------------------------------
    def today(self) -> str:
        return self.hub.now().date().isoformat()

    def figures(self, day: str | None = None) -> dict[str, Any]:
        day = day or self.today()
        counts = self.store.days.get(day)
        figures = (counts or DayCounts()).as_dict(day)
        figures["pending_total"] = sum(c.pending for c in self.store.days.values())
        return figures
