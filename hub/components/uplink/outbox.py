"""The ledger stream: records past the platform's cursor, in seq order; and the count of what is due.

Records go in seq order, so a gate's passages reach the platform in the order they happened; an update
(cargo, weight, correction, release) goes after the passage it amends. The cursor moves only over rows
that are settled: acknowledged, parked as invalid, or not ours to send. A record the platform did not
confirm is sent again (same record id, so the platform keeps one copy).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from hub.core import Hub
from hub.core.coordinator import DataUpdateCoordinator
from hub.core.events import RecordFollowupData

from .const import ACCEPTED, DUPLICATE, MSG_PASSAGE, MSG_PHOTO, MSG_UPDATE, READ_AHEAD, REJECTED
from .messages import ledger_source, message_of, photo_source, record_day, record_id
from .profile import Profile
from .serial import async_add_serials
from .store import Places, Progress
from .stream import Stream
from .transport import Outcome, TransportError, Unconfirmed

if TYPE_CHECKING:
    from .link import PlatformLink

_LOGGER = logging.getLogger(__name__)
SETTLED = (ACCEPTED, DUPLICATE, REJECTED)
PASSAGES_KEPT = 256  # recent passages that follow-ups refer to (for the passage's serial number)


async def async_read_records(hub: Hub, after_seq: int, limit: int) -> list[dict[str, Any]]:
    return await hub.services.async_call("ledger", "read_records", {"after_seq": after_seq, "limit": limit})


def message_for(profile: Profile, record: Mapping[str, Any]) -> str | None:
    """The profile's message for a ledger row: a follow-up kind with a message of its own (cargo,
    weight) goes there, the others as `update`; None when the profile sends no such thing."""
    message = message_of(record)
    if message == MSG_UPDATE and str(record.get("kind")) in profile.messages:
        return str(record["kind"])
    return message if message in profile.messages else None


class DueCounter(DataUpdateCoordinator[None]):
    """Counts each new ledger row the platform takes into its day's `due` figure (no network)."""

    def __init__(self, link: PlatformLink) -> None:
        super().__init__(
            link.hub, _LOGGER, name=f"Uplink {link.name} count", tracked=False,
            update_interval=link.uplink.idle_poll_seconds, update_method=self._async_scan,
        )  # fmt: skip
        self.link = link
        self.scanned_seq = 0
        self._lock = asyncio.Lock()

    def restore(self, places: Places) -> None:
        self.scanned_seq = places.scanned_seq

    async def async_count_through(self, seq: int) -> None:
        """Count rows into `due` before they are acknowledged, so a rate never shows over 100 %."""
        if seq > self.scanned_seq:
            await self._async_scan()

    async def _async_scan(self) -> None:
        link = self.link
        async with self._lock:
            while True:
                rows = await async_read_records(self.hub, self.scanned_seq, READ_AHEAD)
                if not rows:
                    break
                progress = Progress()
                for row in rows:
                    if message_for(link.profile, row) is not None:
                        progress.add(record_day(row), "due")
                self.scanned_seq = int(rows[-1]["seq"])
                if progress:
                    # Rows of kinds we do not send change no figure: their place is saved with the next
                    # counted row (counting them again after a restart adds nothing).
                    await link.store.async_save(progress, scanned_seq=self.scanned_seq)
                    link.notify()
                if len(rows) < READ_AHEAD:
                    break
        link.notify_new_day()


class LedgerStream(Stream):
    def __init__(self, link: PlatformLink, counter: DueCounter) -> None:
        super().__init__(link, "passages", link.uplink.idle_poll_seconds)
        self.counter = counter
        self.photo_mode = link.conf.photos or link.profile.photos.mode
        self.acked_seq = 0  # every row up to here is settled
        self.acked_above: set[int] = set()  # settled rows past it (a bad batch's neighbours)
        self.sent_seq = 0
        self._ahead: list[dict[str, Any]] = []
        self._passages: dict[int, dict[str, Any]] = {}

    def restore(self, places: Places) -> None:
        self.acked_seq, self.sent_seq = places.acked_seq, places.sent_seq
        self.acked_above = places.acked_above

    def settled(self, seq: int) -> bool:
        return seq <= self.acked_seq or seq in self.acked_above

    def message_for(self, record: Mapping[str, Any]) -> str | None:
        return message_for(self.link.profile, record)

    async def async_step(self) -> bool:
        """One batch past the cursor; True while there may be more."""
        link = self.link
        rows = await self._rows_after(self.acked_seq)
        if not rows:
            return False
        window = []
        for row in rows:
            if row["seq"] in self.acked_above or self.message_for(row) is None:
                continue
            window.append(row)
            if len(window) >= link.batch_size:
                break
        examined = window[-1]["seq"] if len(window) >= link.batch_size else rows[-1]["seq"]
        progress = Progress()
        settled: set[int] = set()
        answers: list[tuple[dict[str, Any], Outcome]] = []
        if window:
            await self.counter.async_count_through(window[-1]["seq"])
            for row in window:
                if row["seq"] > self.sent_seq:
                    progress.add(record_day(row), "sent")
            self.sent_seq = max(self.sent_seq, window[-1]["seq"])
            try:
                outcomes = await self.async_deliver_rows(window)
            except TransportError:
                await link.store.async_save(progress, sent_seq=self.sent_seq)
                raise
            for row in window:
                outcome = outcomes.get(record_id(row))
                if outcome is None or outcome.status not in SETTLED:
                    continue
                settled.add(row["seq"])
                answers.append((row, outcome))
                self._count_answer(row, outcome, progress)
        above = self.acked_above | settled
        before = (self.acked_seq, len(self.acked_above))
        for row in rows:
            if row["seq"] > examined or not (row["seq"] in above or self.message_for(row) is None):
                break
            self.acked_seq = row["seq"]
        self.acked_above = {s for s in above if s > self.acked_seq}
        # Acceptance rows first: after a crash between the two, an answer is recorded twice, never lost.
        await self.async_write_acceptances(answers)
        moved = (self.acked_seq, len(self.acked_above)) != before
        if progress or moved:
            place = {"acked_seq": self.acked_seq, "acked_above": self.acked_above, "sent_seq": self.sent_seq}
            await link.store.async_save(progress, **place)
        if window:
            link.succeeded()
            link.notify()
        if window and not settled:
            raise Unconfirmed(f"the platform confirmed none of {len(window)} records")
        return moved or bool(settled)

    def _count_answer(self, row: Mapping[str, Any], outcome: Outcome, progress: Progress) -> None:
        day = record_day(row)
        if outcome.status == REJECTED:
            progress.add(day, "rejected")
            park(progress, row, outcome)
            return
        progress.add(day, "acknowledged")
        if outcome.status == DUPLICATE:
            progress.add(day, "duplicates")
        age = self.hub.now().timestamp() - int(row["recorded_ts"])
        if age <= self.link.conf.on_time_minutes * 60:
            progress.add(day, "on_time")

    async def _rows_after(self, after_seq: int) -> list[dict[str, Any]]:
        """Ledger rows past `after_seq`, through a read-ahead buffer: a step uses a batch of them, and
        the rest (with the lifecycle and acceptance rows in between) need not be read again. Memory only:
        the ledger stays the outbox."""
        buffer = [row for row in self._ahead if row["seq"] > after_seq]
        if len(buffer) < READ_AHEAD // 2:
            start = buffer[-1]["seq"] if buffer else after_seq
            buffer += await async_read_records(self.hub, start, READ_AHEAD)
        self._ahead = buffer
        return buffer

    # ----- sending rows (the resend stream sends through here too) -----------------------------------
    async def async_deliver_rows(self, rows: list[dict[str, Any]]) -> dict[str, Outcome]:
        """Send ledger rows: passages first, then the follow-ups (as `update`, or a message of their
        kind's own); photos after their passage when sent separately."""
        link = self.link
        outcomes: dict[str, Outcome] = {}
        passages = [r for r in rows if self.message_for(r) == MSG_PASSAGE]
        if passages:
            entries = [(record_id(row), ledger_source(row, link.plant)) for row in passages]
            await self._async_add_serials(MSG_PASSAGE, passages, [source for _, source in entries])
            if self.photo_mode == "inline":
                photos = await asyncio.gather(*(self._async_photos_of(row) for row in passages))
                for (_, source), found in zip(entries, photos, strict=True):
                    source["_photos"] = found
            outcomes |= await link.async_deliver(MSG_PASSAGE, entries)
            if self.photo_mode == "separate" and MSG_PHOTO in link.profile.messages:
                sent = [(r, s) for r, (rid, s) in zip(passages, entries, strict=True)
                        if outcomes[rid].status in (ACCEPTED, DUPLICATE)]  # fmt: skip
                await self._async_send_photos(sent)
        followups: dict[str, list[dict[str, Any]]] = {}
        for row in rows:
            message = self.message_for(row)
            if message is not None and message != MSG_PASSAGE:
                followups.setdefault(message, []).append(row)
        for message, group in followups.items():
            entries = [(record_id(row), ledger_source(row, link.plant)) for row in group]
            await self._async_add_serials(message, group, [source for _, source in entries])
            outcomes |= await link.async_deliver(message, entries)
        return outcomes

    async def _async_add_serials(
        self, message: str, rows: list[dict[str, Any]], sources: list[dict[str, Any]]
    ) -> None:
        code = str(self.link.plant.get("code") or "")
        await async_add_serials(self.link.profile, code, self._async_passage_row, message, rows, sources)

    async def _async_send_photos(self, rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
        link = self.link
        for row, passage in rows:
            for role, data in (await self._async_photos_of(row)).items():
                source = photo_source(row, role, data, link.plant)
                source["serial"] = passage.get("serial")
                answer = await link.async_deliver(MSG_PHOTO, [(source["record_id"], source)])
                outcome = answer[source["record_id"]]
                if outcome.status == REJECTED:
                    _LOGGER.warning(
                        "Uplink %s: photo %s refused: %s", link.name, source["record_id"], outcome.message
                    )

    async def _async_passage_row(self, row: Mapping[str, Any]) -> dict[str, Any] | None:
        """The passage a follow-up row refers to (its `ref_seq`), for the passage's serial number."""
        ref = row.get("ref_seq")
        if not isinstance(ref, int) or ref < 1:
            return None
        if (found := self._passages.get(ref)) is not None:
            return found
        rows = await async_read_records(self.hub, ref - 1, 1)
        if not rows or rows[0]["seq"] != ref or rows[0]["passage_id"] != row.get("passage_id"):
            return None
        if len(self._passages) >= PASSAGES_KEPT:
            self._passages.pop(next(iter(self._passages)))
        self._passages[ref] = rows[0]
        return rows[0]

    async def _async_photos_of(self, record: Mapping[str, Any]) -> dict[str, bytes]:
        """The passage's photos from the ledger's evidence store; a missing one is left out."""
        link, out = self.link, dict[str, bytes]()
        if not self.hub.services.has_service("ledger", "evidence"):
            link.warn_once("evidence", "the ledger offers no photos (ledger.evidence); sending without")
            return out
        photos = link.profile.photos
        for role in photos.fields if self.photo_mode == "inline" else ("plate", "scene"):
            sha = record.get(f"photo_{role}")
            if not sha:
                continue
            try:
                found = await self.hub.services.async_call("ledger", "evidence", {"sha256": sha})
            except Exception as err:
                _LOGGER.warning("Uplink %s: photo %s of %s unavailable: %s", link.name, role,
                                record.get("passage_id"), err)  # fmt: skip
                continue
            data = found.get("data") if isinstance(found, Mapping) else None
            if not data:
                continue
            if len(data) > photos.max_bytes:
                _LOGGER.warning("Uplink %s: photo %s of %s has %d bytes, over the profile's limit; not sent",
                                link.name, role, record.get("passage_id"), len(data))  # fmt: skip
                continue
            out[role] = bytes(data)
        return out

    async def async_write_acceptances(self, answers: Sequence[tuple[Mapping[str, Any], Outcome]]) -> None:
        """The platform's answers as acceptance rows of the ledger (which rows: `acceptance_rows`)."""
        link = self.link
        policy = link.conf.acceptance_rows
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
            data: dict[str, Any] = {"status": status, "message": text[:500], "platform": link.name}
            if not is_passage:
                data |= {"record_id": record_id(record), "record_kind": record.get("kind")}
            calls.append(self.hub.services.async_call(
                "ledger", "record_followup",
                RecordFollowupData(passage_id=record["passage_id"], kind="acceptance", data=data),
            ))  # fmt: skip
        for result in await asyncio.gather(*calls, return_exceptions=True):
            if isinstance(result, Exception):
                _LOGGER.warning("Uplink %s: acceptance row not recorded: %s", link.name, result)


def park(progress: Progress, row: Mapping[str, Any], outcome: Outcome) -> None:
    progress.park(record_id(row), row["kind"], record_day(row), outcome.message or "被拒收 rejected",
                  outcome.local, seq=row["seq"], passage_id=row.get("passage_id"), gate=row.get("gate"),
                  plate=row.get("plate"))  # fmt: skip
