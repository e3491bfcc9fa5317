"""Retention: prune passages and photos older than the configured months, keeping verify green.

The pruned prefix of the chain is summarised first by a `checkpoint` row appended to the chain (the
seq and hash where the pruned part ends), then the same is written to `ledger_checkpoint` and the old
rows deleted in one transaction. Verify starts from the checkpoint and cross-checks it against its row.
"""

from __future__ import annotations

import logging
from calendar import monthrange
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from tortoise.transactions import in_transaction

from .chain import canonical_json
from .const import KIND_CHECKPOINT
from .rows import timestamp

if TYPE_CHECKING:
    from .recorder import Ledger

_LOGGER = logging.getLogger(__name__)


def months_before(moment: datetime, months: int) -> datetime:
    years, month0 = divmod(moment.month - 1 - months, 12)
    year, month = moment.year + years, month0 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, monthrange(year, month)[1]))


async def async_prune(ledger: Ledger, now: datetime) -> dict[str, Any]:
    """One retention run; returns what it did."""
    cutoff = months_before(now, ledger.config.retention_months)
    cutoff_ts = int(cutoff.timestamp())
    conn, sql = ledger.conn, ledger.sql
    # The prunable prefix ends before the first row that must be kept (seq order, not clock order:
    # a clock set back must not open a hole in the chain).
    _, rows = await conn.execute_query(
        sql("SELECT min(seq) FROM ledger_record WHERE recorded_ts >= ?"), [cutoff_ts]
    )
    first_kept = rows[0][0] if rows and rows[0][0] is not None else None
    bound = "seq < ?" if first_kept is not None else "1 = 1"
    _, rows = await conn.execute_query(
        sql(f"SELECT max(seq) FROM ledger_record WHERE {bound}"),
        [first_kept] if first_kept is not None else [],
    )
    through = int(rows[0][0]) if rows and rows[0][0] is not None else 0
    _, anchor = await conn.execute_query(sql("SELECT max(through_seq) FROM ledger_checkpoint"))
    already = int(anchor[0][0]) if anchor and anchor[0][0] is not None else 0
    summary: dict[str, Any] = {
        "cutoff": cutoff.isoformat(),
        "video_cutoff": months_before(now, ledger.config.video_retention_months).isoformat(),
        "through_seq": already,
        "pruned_rows": 0,
        "photos_removed": 0,
    }
    if through <= already:
        return summary
    _, rows = await conn.execute_query(
        sql(
            "SELECT hash, (SELECT count(*) FROM ledger_record WHERE seq <= ?) "
            "FROM ledger_record WHERE seq = ?"
        ),
        [through, through],
    )
    digest, count = str(rows[0][0]), int(rows[0][1])
    ts, at = timestamp(now)
    statement = {
        "through_seq": through,
        "hash": digest,
        "pruned_rows": count,
        "cutoff": cutoff.isoformat(),
        "retention_months": ledger.config.retention_months,
    }
    checkpoint = await ledger.records.async_append(
        {"kind": KIND_CHECKPOINT, "recorded_ts": ts, "recorded_at": at, "data": canonical_json(statement)}
    )
    async with ledger.records.lock, in_transaction() as tx:
        await tx.execute_query(
            sql(
                "INSERT INTO ledger_checkpoint (through_seq, hash, pruned_rows, cutoff, checkpoint_seq, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)"
            ),
            [through, digest, count, cutoff.isoformat(), checkpoint["seq"], at],
        )
        _, photo_rows = await tx.execute_query(
            sql("SELECT sha256 FROM ledger_evidence WHERE last_seq <= ?"), [through]
        )
        await tx.execute_query(sql("DELETE FROM ledger_evidence WHERE last_seq <= ?"), [through])
        await tx.execute_query(sql("DELETE FROM ledger_record WHERE seq <= ?"), [through])
    photos = [str(r[0]) for r in photo_rows]
    removed = await ledger.hub.async_add_executor_job(_remove_all, ledger, photos)
    summary.update(
        through_seq=through, pruned_rows=count, photos_removed=removed, checkpoint_seq=checkpoint["seq"]
    )
    _LOGGER.info(
        "Retention: pruned %d rows up to seq %d (before %s), %d photos", count, through, cutoff, removed
    )
    return summary


def _remove_all(ledger: Ledger, photos: list[str]) -> int:
    return sum(ledger.photos.remove(sha) for sha in photos)


async def async_retention_loop(ledger: Ledger) -> None:
    """Prune once a day at the configured hour (plant time); a failed run is logged and retried next day."""
    while True:
        now = ledger.hub.now()
        due = now.replace(hour=ledger.config.retention_hour, minute=0, second=0, microsecond=0)
        if due <= now:
            due += timedelta(days=1)
        await ledger.hub.clock.async_sleep((due - now).total_seconds())
        try:
            summary = await async_prune(ledger, ledger.hub.now())
            await ledger.async_audit(action="ledger.retention", door="internal", detail=summary)
        except Exception:
            _LOGGER.exception("Retention run failed")
