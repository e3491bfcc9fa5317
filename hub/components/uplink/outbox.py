"""The ledger stream (records past the platform's cursor, in seq order) and resends of a date range.

Records go in seq order, so a gate's passages reach the platform in the order they happened; an update
(cargo, weight, correction, release) goes after the passage it amends. The cursor moves only over rows
that are settled: acknowledged, parked as invalid, or not ours to send. A record the platform did not
confirm is sent again (same record id, so the platform keeps one copy).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from .const import (
    ACCEPTED,
    DUPLICATE,
    EVENT_RESEND_DONE,
    MSG_PASSAGE,
    MSG_PHOTO,
    READ_AHEAD,
    REJECTED,
    RESEND_SLACK_S,
)
from .delivery import async_deliver
from .messages import ledger_source, photo_source, record_day, record_id
from .models import UplinkResend
from .serial import async_add_serials
from .store import Progress
from .transport import Outcome, TransportError, Unconfirmed

if TYPE_CHECKING:
    from .link import PlatformLink

_LOGGER = logging.getLogger(__name__)
SETTLED = (ACCEPTED, DUPLICATE, REJECTED)


async def async_deliver_rows(link: PlatformLink, rows: list[dict[str, Any]]) -> dict[str, Outcome]:
    """Send ledger rows: passages first, then the follow-ups (as `update`, or a message of their kind's
    own); photos after their passage when sent separately."""
    outcomes: dict[str, Outcome] = {}
    passages = [r for r in rows if link.message_for(r) == MSG_PASSAGE]
    if passages:
        entries = [(record_id(row), ledger_source(row, link.plant)) for row in passages]
        await async_add_serials(link, MSG_PASSAGE, passages, [source for _, source in entries])
        if link.photo_mode == "inline":
            photos = await asyncio.gather(*(link.photos_of(row) for row in passages))
            for (_, source), found in zip(entries, photos, strict=True):
                source["_photos"] = found
        outcomes |= await async_deliver(link, MSG_PASSAGE, entries)
        if link.photo_mode == "separate" and MSG_PHOTO in link.profile.messages:
            sent = [(r, s) for r, (rid, s) in zip(passages, entries, strict=True)
                    if outcomes[rid].status in (ACCEPTED, DUPLICATE)]  # fmt: skip
            await _send_photos(link, sent)
    followups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        message = link.message_for(row)
        if message is not None and message != MSG_PASSAGE:
            followups.setdefault(message, []).append(row)
    for message, group in followups.items():
        entries = [(record_id(row), ledger_source(row, link.plant)) for row in group]
        await async_add_serials(link, message, group, [source for _, source in entries])
        outcomes |= await async_deliver(link, message, entries)
    return outcomes


async def _send_photos(link: PlatformLink, rows: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    for row, passage in rows:
        for role, data in (await link.photos_of(row)).items():
            source = photo_source(row, role, data, link.plant)
            source["serial"] = passage.get("serial")
            answer = await async_deliver(link, MSG_PHOTO, [(source["record_id"], source)])
            outcome = answer[source["record_id"]]
            if outcome.status == REJECTED:
                _LOGGER.warning(
                    "Uplink %s: photo %s refused: %s", link.name, source["record_id"], outcome.message
                )


def _parked(row: Mapping[str, Any], outcome: Outcome) -> dict[str, Any]:
    return {
        "seq": row["seq"], "record_id": record_id(row), "passage_id": row.get("passage_id"),
        "kind": row["kind"], "day": record_day(row), "gate": row.get("gate"), "plate": row.get("plate"),
        "reason": (outcome.message or "被拒收 rejected")[:500],
        "source": "mapping" if outcome.local else "platform",
    }  # fmt: skip


def _count_answer(link: PlatformLink, row: Mapping[str, Any], outcome: Outcome, progress: Progress) -> None:
    day = record_day(row)
    if outcome.status == REJECTED:
        progress.add(day, "rejected")
        progress.parked.append(_parked(row, outcome))
        return
    progress.add(day, "acknowledged")
    if outcome.status == DUPLICATE:
        progress.add(day, "duplicates")
    age = link.hub.now().timestamp() - int(row["recorded_ts"])
    if age <= link.conf.on_time_minutes * 60:
        progress.add(day, "on_time")


async def async_ledger_step(link: PlatformLink) -> bool:
    """One batch past the cursor; True while there may be more."""
    if not link.due("passages"):
        return False
    cursor = link.cursor
    rows = await link.rows_after(cursor.acked_seq)
    if not rows:
        link.ran("passages")
        return False
    window = []
    for row in rows:
        if row["seq"] in cursor.acked_above or link.message_for(row) is None:
            continue
        window.append(row)
        if len(window) >= link.batch_size:
            break
    examined = window[-1]["seq"] if len(window) >= link.batch_size else rows[-1]["seq"]
    progress = Progress()
    settled: set[int] = set()
    answers: list[tuple[dict[str, Any], Outcome]] = []
    if window:
        await link.async_count_due(window[-1]["seq"])
        for row in window:
            if row["seq"] > cursor.sent_seq:
                progress.add(record_day(row), "sent")
        cursor.sent_seq = max(cursor.sent_seq, window[-1]["seq"])
        try:
            outcomes = await async_deliver_rows(link, window)
        except TransportError:
            await link.save(progress, ("sent_seq",))
            raise
        for row in window:
            outcome = outcomes.get(record_id(row))
            if outcome is None or outcome.status not in SETTLED:
                continue
            settled.add(row["seq"])
            answers.append((row, outcome))
            _count_answer(link, row, outcome, progress)
    above = cursor.acked_above | settled
    before = (cursor.acked_seq, len(cursor.acked_above))
    for row in rows:
        if row["seq"] > examined or not (row["seq"] in above or link.message_for(row) is None):
            break
        cursor.acked_seq = row["seq"]
    cursor.acked_above = {s for s in above if s > cursor.acked_seq}
    # Acceptance rows first: after a crash between the two, an answer is recorded twice, never lost.
    await link.write_acceptances(answers)
    moved = (cursor.acked_seq, len(cursor.acked_above)) != before
    if progress or moved:
        await link.save(progress)
    if window:
        link.succeeded()
        link.notify()
    if window and not settled:
        raise Unconfirmed(f"the platform confirmed none of {len(window)} records")
    return moved or bool(settled)


# ----- resend (补传) --------------------------------------------------------------------------------
async def async_find_seq(link: PlatformLink, ts: int) -> int:
    """The smallest after_seq past which the rows are recorded at or after `ts` (rows are recorded in
    nearly time order; callers allow a slack). Exponential probe, then bisection: ~2 log2(n) reads."""

    async def reaches(after: int) -> bool:
        rows = await link.read_records(after, 1)
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


async def async_resend_step(link: PlatformLink) -> bool:
    job = (
        await UplinkResend.filter(platform=link.name, status__in=["queued", "running"]).order_by("id").first()
    )
    if job is None:
        return False
    if job.after_seq is None:
        job.after_seq = await async_find_seq(link, job.start_ts - RESEND_SLACK_S)
        job.status = "running"
        await job.save(update_fields=["after_seq", "status"])
    cursor = link.cursor
    rows = await link.read_records(job.after_seq, READ_AHEAD)
    finished = len(rows) < READ_AHEAD
    window: list[dict[str, Any]] = []
    last = job.after_seq
    for row in rows:
        beyond = row["seq"] > cursor.acked_seq and row["seq"] not in cursor.acked_above
        if beyond or int(row["recorded_ts"]) >= job.end_ts + RESEND_SLACK_S:
            finished = True  # the stream sends what lies past the cursor; the range is over
            break
        last = row["seq"]
        if link.message_for(row) and job.start_ts <= int(row["recorded_ts"]) < job.end_ts:
            window.append(row)
            if len(window) >= link.batch_size:
                finished = False
                break
    progress = Progress()
    answers: list[tuple[dict[str, Any], Outcome]] = []
    if window:
        outcomes = await async_deliver_rows(link, window)
        parked = await link.store.async_parked_ids([int(r["seq"]) for r in window])
        if any(outcomes[record_id(r)].status not in SETTLED for r in window):
            raise Unconfirmed("the platform did not confirm every resent record")
        for row in window:
            outcome, day = outcomes[record_id(row)], record_day(row)
            was_parked = int(row["seq"]) in parked
            if outcome.status == REJECTED:
                job.rejected += 1
                if was_parked:
                    progress.parked.append(_parked(row, outcome))  # the reason may have changed
                answers.append((row, outcome))
                continue
            job.accepted += 1
            if was_parked:
                progress.unparked.append((int(row["seq"]), record_id(row)))
                progress.add(day, "rejected", -1)
                progress.add(day, "acknowledged")
                answers.append((row, outcome))
        job.sent += len(window)
        link.succeeded()
    job.after_seq = last
    if finished:
        job.status, job.finished_at = "done", link.hub.now().isoformat()
        _LOGGER.info("Uplink %s: resend %d done: %d sent, %d accepted, %d rejected",
                     link.name, job.id, job.sent, job.accepted, job.rejected)  # fmt: skip
        link.hub.bus.async_fire(EVENT_RESEND_DONE, {
            "platform": link.name, "id": job.id, "sent": job.sent, "accepted": job.accepted,
            "rejected": job.rejected,
        })  # fmt: skip
    await link.write_acceptances(answers)
    await link.save(progress, ())
    await job.save()
    link.notify()
    return True
