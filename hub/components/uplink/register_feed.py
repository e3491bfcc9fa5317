"""The register's changes in commit order, a bounded slice at a time, past a sequence number.

`vehicles.records` answers by timestamp, and the rows of one import share a timestamp: reading past it
reread every row of a 100,000-row import to send 20 of them, on the loop, for hours. `vehicles.changes`
answers past the id of the register's history, in commit order, so the uplink keeps that id as its
cursor: each change once, in order, never more than a slice per round. A change goes up as the record
stood after it, a deletion with the record as it stood before. `RegisterStream` sends them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.core import Hub

from .const import ACCEPTED, DUPLICATE, MSG_REGISTER, REJECTED
from .messages import register_message, register_source
from .store import Places, Progress
from .stream import Stream
from .transport import Outcome, Unconfirmed

if TYPE_CHECKING:
    from .link import PlatformLink

SLICE = 200  # history rows read per round at most
UNREADABLE = "_unreadable"  # in a change's item: why its history row could not be read
SETTLED = (ACCEPTED, DUPLICATE, REJECTED)


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


class RegisterStream(Stream):
    """The register's three classes, a batch of changes past the history id at a time, while the
    register has changed since the last look (a first look after start)."""

    def __init__(self, link: PlatformLink) -> None:
        super().__init__(link, "register", link.uplink.idle_poll_seconds)
        self.seq: int | None = None  # the last history row settled; None: not yet placed in the feed
        self.since_ts = -1  # where an older release's timestamp cursor stood
        self.dirty = True
        self.reads = FeedReads()
        self.messages = [m for m in MSG_REGISTER.values() if m in link.profile.messages]

    def restore(self, places: Places) -> None:
        self.seq, self.since_ts = places.register_seq, places.register_ts

    @property
    def wanted(self) -> bool:
        return bool(self.messages)

    def wake(self) -> None:
        self.dirty = True
        super().wake()

    async def async_step(self) -> bool:
        """One batch of the register's changes past the cursor; True while there may be more."""
        link, hub = self.link, self.hub
        if not self.dirty:
            return False
        if not hub.services.has_service("vehicles", "changes"):  # no register
            self.dirty = False
            return False
        # A batch's worth: every history row is read once (a read-ahead would hold no more than this).
        feed = await async_changes(hub, self.seq, min(link.batch_size, SLICE), self.since_ts)
        self.reads.note(feed.rows_read)
        if feed.rows_read == 0:
            self.dirty = False
            return False
        window, stop = self._window(feed.changes)
        outcomes = {
            c.record_id: Outcome(REJECTED, f"登记变更无法读取 unreadable change: {why}", local=True)
            for c in window
            if (why := c.item.get(UNREADABLE))
        }
        for message in self.messages:
            entries = [(c.record_id, self._source(c)) for c in window
                       if register_message_of(c.item) == message and c.record_id not in outcomes]  # fmt: skip
            if entries:
                outcomes |= await link.async_deliver(message, entries)
        progress, answered = Progress(), 0
        through, unconfirmed = self.seq, False
        sent = {change.seq for change in window}
        for change in feed.changes:
            if stop is not None and change.seq >= stop:
                break
            if change.seq in sent:
                outcome = outcomes[change.record_id]
                if outcome.status not in SETTLED:
                    unconfirmed = True
                    break  # not confirmed: from here on again next time
                self._note_answer(change, outcome, progress)
                answered += 1
            through = change.seq
        if stop is None and not unconfirmed:
            through = feed.through  # blacklist and pass changes after our last one are passed over too
        moved, self.seq = through != self.seq, through
        if moved or progress:
            await link.store.async_save(progress, register_seq=self.seq)
        if window and not answered:
            raise Unconfirmed(f"the platform confirmed none of {len(window)} register records")
        if window:
            link.succeeded()
            link.notify()
        return True

    def _window(self, changes: list[RegisterChange]) -> tuple[list[RegisterChange], int | None]:
        """The next batch: changes the profile sends, up to the batch size and before a record comes
        twice (its later version goes in the next batch, after the earlier one is answered); and the seq
        of the change that ended it (None: the whole slice was looked at)."""
        window: list[RegisterChange] = []
        ids: set[str] = set()
        for change in changes:
            if register_message_of(change.item) not in self.messages:
                continue
            if change.record_id in ids or len(window) >= self.link.batch_size:
                return window, change.seq
            ids.add(change.record_id)
            window.append(change)
        return window, None

    def _source(self, change: RegisterChange) -> Any:
        plant = self.link.plant
        try:
            return register_source(change.item, change.action, plant, self.link.profile.tz)
        except Exception:  # a stamp beyond any calendar: the record goes without it, the mapping decides
            return {**change.item, "record_id": change.record_id, "action": change.action, "plant": plant}

    def _note_answer(self, change: RegisterChange, outcome: Outcome, progress: Progress) -> None:
        if outcome.status != REJECTED:
            progress.unparked.append((None, change.record_id))  # accepted now: no longer parked, if it was
            return
        reason = outcome.message or "被拒收"  # the kind column holds 16 characters: the class
        progress.park(change.record_id, change.item["class"], self.link.today(), reason, outcome.local,
                      plate=change.item.get("plate"))  # fmt: skip


def register_message_of(item: Mapping[str, Any]) -> str:
    return register_message(str(item.get("class")))
