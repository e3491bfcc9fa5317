"""Resends (补传) of a date range: jobs an officer queued, each with its own place in the ledger.

A job sends the rows of its range that the ledger stream has already settled (what lies past the
stream's cursor is the stream's to send); the platform keeps one copy of each, by record id. A row that
was parked and is now accepted is no longer parked, and the day's figures say so.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .const import EVENT_RESEND_DONE, READ_AHEAD, REJECTED, RESEND_SLACK_S
from .messages import record_day, record_id
from .models import UplinkResend
from .outbox import SETTLED, LedgerStream, async_read_records, park
from .store import Progress
from .stream import Stream
from .transport import Outcome, Unconfirmed

if TYPE_CHECKING:
    from .link import PlatformLink

_LOGGER = logging.getLogger(__name__)


class ResendStream(Stream):
    def __init__(self, link: PlatformLink, ledger: LedgerStream) -> None:
        super().__init__(link, "resend", link.uplink.idle_poll_seconds)
        self.ledger = ledger

    async def async_queue(self, start_ts: int, end_ts: int, user_id: str | None) -> int:
        """A job for the records recorded in [start_ts, end_ts); its id."""
        job = await UplinkResend.create(
            platform=self.link.name, start_ts=start_ts, end_ts=end_ts, requested_by=user_id,
            created_at=self.hub.now().isoformat(),
        )  # fmt: skip
        self.wake()
        return int(job.id)

    async def _async_find_seq(self, ts: int) -> int:
        """The smallest after_seq past which the rows are recorded at or after `ts` (rows are recorded
        in nearly time order; callers allow a slack). Exponential probe, then bisection: ~2 log2(n) reads."""

        async def reaches(after: int) -> bool:
            rows = await async_read_records(self.hub, after, 1)
            return not rows or int(rows[0]["recorded_ts"]) >= ts

        if await reaches(0):
            return 0
        low, high = 0, 1
        while not await reaches(high):
            low, high = high, high * 2
        while high - low > 1:
            middle = (low + high) // 2
            if await reaches(middle):
                high = middle
            else:
                low = middle
        return high

    async def async_step(self) -> bool:
        link, ledger = self.link, self.ledger
        job = (
            await UplinkResend.filter(platform=link.name, status__in=["queued", "running"])
            .order_by("id")
            .first()
        )
        if job is None:
            return False
        if job.after_seq is None:
            job.after_seq = await self._async_find_seq(job.start_ts - RESEND_SLACK_S)
            job.status = "running"
            await job.save(update_fields=["after_seq", "status"])
        rows = await async_read_records(self.hub, job.after_seq, READ_AHEAD)
        finished = len(rows) < READ_AHEAD
        window: list[dict[str, Any]] = []
        last = job.after_seq
        for row in rows:
            if not ledger.settled(row["seq"]) or int(row["recorded_ts"]) >= job.end_ts + RESEND_SLACK_S:
                finished = True  # the ledger stream sends what lies past its cursor; the range is over
                break
            last = row["seq"]
            if ledger.message_for(row) and job.start_ts <= int(row["recorded_ts"]) < job.end_ts:
                window.append(row)
                if len(window) >= link.batch_size:
                    finished = False
                    break
        progress = Progress()
        answers: list[tuple[dict[str, Any], Outcome]] = []
        if window:
            outcomes = await ledger.async_deliver_rows(window)
            was_parked = await link.store.async_parked_ids([int(r["seq"]) for r in window])
            if any(outcomes[record_id(r)].status not in SETTLED for r in window):
                raise Unconfirmed("the platform did not confirm every resent record")
            for row in window:
                outcome, day = outcomes[record_id(row)], record_day(row)
                if outcome.status == REJECTED:
                    job.rejected += 1
                    if int(row["seq"]) in was_parked:
                        park(progress, row, outcome)  # the reason may have changed
                    answers.append((row, outcome))
                    continue
                job.accepted += 1
                if int(row["seq"]) in was_parked:
                    progress.unparked.append((int(row["seq"]), record_id(row)))
                    progress.add(day, "rejected", -1)
                    progress.add(day, "acknowledged")
                    answers.append((row, outcome))
            job.sent += len(window)
            link.succeeded()
        job.after_seq = last
        if finished:
            job.status, job.finished_at = "done", self.hub.now().isoformat()
            _LOGGER.info("Uplink %s: resend %d done: %d sent, %d accepted, %d rejected",
                         link.name, job.id, job.sent, job.accepted, job.rejected)  # fmt: skip
            self.hub.bus.async_fire(EVENT_RESEND_DONE, {
                "platform": link.name, "id": job.id, "sent": job.sent, "accepted": job.accepted,
                "rejected": job.rejected,
            })  # fmt: skip
        await ledger.async_write_acceptances(answers)
        await link.store.async_save(progress)
        await job.save()
        link.notify()
        return True
