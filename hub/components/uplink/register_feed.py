"""The register's changes in commit order, a bounded slice at a time, past a sequence number.

`vehicles.records` answers by timestamp, and the rows of one import share a timestamp: reading past it
reread every row of a 100,000-row import to send 20 of them, on the loop, for hours. The register keeps
every change in its history table under an increasing id, in commit order (it is the feed by which the
register itself picks up another process's writes), so the uplink reads that feed, read-only, with an id
cursor: each change once, in order, never more than a slice per round. A change goes up as the record
stood after it (the history row's `new`), a deletion with the record as it stood before.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hub.core import Hub

CLASSES = ("transport", "in_plant", "machinery")  # the history also holds blacklist and pass changes
SLICE = 200  # history rows read per round at most
UNREADABLE = "_unreadable"  # in a change's item: why its history row could not be read


@dataclass(frozen=True, slots=True)
class RegisterChange:
    seq: int  # the history row's id
    action: str  # created, updated, deleted
    item: dict[str, Any]  # as vehicles.records shows it: class, key, the record, updated_ts / changed_ts

    @property
    def record_id(self) -> str:
        return f"{self.item['class']}:{self.item['key']}"


async def _query(hub: Hub, sql: str, params: list[Any]) -> list[Any]:
    assert hub.db is not None
    if hub.db.dialect == "postgres":
        parts = sql.split("?")
        sql = "".join(f"{part}${n}" for n, part in enumerate(parts[:-1], start=1)) + parts[-1]
    _, rows = await hub.db.connection.execute_query(sql, params)
    return list(rows)


@dataclass(frozen=True, slots=True)
class FeedSlice:
    changes: list[RegisterChange]  # of the three classes, in commit order
    through: int  # the id of the last history row read (list changes too)
    rows_read: int


@dataclass(slots=True)
class FeedReads:
    """How much of the feed the link has read: shown in uplink.status, so that anyone can see that a
    round reads a slice, not the register."""

    rounds: int = 0
    rows: int = 0
    most_in_a_round: int = 0

    def note(self, rows: int) -> None:
        self.rounds += 1
        self.rows += rows
        self.most_in_a_round = max(self.most_in_a_round, rows)


async def async_changes(hub: Hub, after_seq: int, limit: int = SLICE) -> FeedSlice:
    """Changes past `after_seq`; at most `limit` history rows are read."""
    rows = await _query(
        hub,
        'SELECT "id", "vclass", "key", "action", "changed_ts", "old", "new" FROM "vehicle_history" '
        'WHERE "id" > ? ORDER BY "id" LIMIT ?',
        [after_seq, limit],
    )
    changes = []
    for row in rows:
        if row["vclass"] not in CLASSES:
            continue
        head = {"class": row["vclass"], "key": row["key"]}
        try:
            if row["action"] == "deleted" or not row["new"]:  # the record as it was, so platforms know it
                item = {**json.loads(row["old"] or "{}"), **head, "changed_ts": int(row["changed_ts"])}
            else:
                item = {**json.loads(row["new"]), **head, "updated_ts": int(row["changed_ts"])}
        except (TypeError, ValueError) as err:  # a damaged row is parked with its reason, never retried
            item = {**head, UNREADABLE: f"{type(err).__name__}: {err}"}
        changes.append(RegisterChange(int(row["id"]), str(row["action"]), item))
    return FeedSlice(changes, int(rows[-1]["id"]) if rows else after_seq, len(rows))


async def async_start_seq(hub: Hub, register_ts: int) -> int:
    """Where a platform that followed the register by timestamp (an older release) goes on: from the
    first change of the second it had reached (sent again at worst, never skipped); from the start for
    a platform that has sent nothing yet."""
    if register_ts < 0:
        return 0
    rows = await _query(
        hub,
        'SELECT MIN("id") AS "first", (SELECT MAX("id") FROM "vehicle_history") AS "last" '
        'FROM "vehicle_history" WHERE "changed_ts" >= ?',
        [register_ts],
    )
    first, last = (rows[0]["first"], rows[0]["last"]) if rows else (None, None)
    return int(first) - 1 if first is not None else int(last or 0)
