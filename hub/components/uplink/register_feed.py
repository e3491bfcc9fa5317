"""The register's changes in commit order, a bounded slice at a time, past a sequence number.

`vehicles.records` answers by timestamp, and the rows of one import share a timestamp: reading past it
reread every row of a 100,000-row import to send 20 of them, on the loop, for hours. `vehicles.changes`
answers past the id of the register's history, in commit order, so the uplink keeps that id as its
cursor: each change once, in order, never more than a slice per round. A change goes up as the record
stood after it, a deletion with the record as it stood before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.core import Hub

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


async def async_changes(hub: Hub, after_seq: int | None, limit: int = SLICE, since_ts: int = -1) -> FeedSlice:
    """Changes past `after_seq` (None: from the first change at `since_ts`, for a platform that
    followed the register by timestamp in an older release; from the start when it sent nothing yet).
    At most `limit` history rows are read."""
    query: dict[str, Any] = {"after_id": after_seq or 0, "limit": limit}
    if after_seq is None and since_ts >= 0:
        query = {"since_ts": since_ts, "limit": limit}
    answer = await hub.services.async_call("vehicles", "changes", query)
    changes = []
    for c in answer["changes"]:
        head = {"class": c["class"], "key": c["key"]}
        if c["problem"] is not None:  # a damaged row is parked with its reason, never retried
            item = {**head, UNREADABLE: c["problem"]}
        elif c["action"] == "deleted":
            item = {**c["record"], **head, "changed_ts": c["changed_ts"]}
        else:
            item = {**c["record"], **head, "updated_ts": c["changed_ts"]}
        changes.append(RegisterChange(c["id"], c["action"], item))
    return FeedSlice(changes, answer["through"], answer["rows_read"])
