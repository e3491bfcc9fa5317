"""Reads the ledger refused (a full disk, a database locked by another process), recorded later.

The barrier stayed shut for each of them (the ledger-first rule), but the read happened and the ledger
must show it. They wait here, in order and bounded, and are recorded once the ledger takes rows again,
as what they became: never acted on, held for the guard, `read_expired` if they are older than the
read age limit by then (they nearly always are), else `ledger_failed`. Their photos are kept up to a
total size; beyond it a read is kept without them, and its reason says so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.core import Context
from hub.core.faults import Spool, ThrottledLog

from .const import Reason, Verdict
from .passage import Passage

if TYPE_CHECKING:
    from hub.core import Hub

_LOGGER = logging.getLogger(__name__)
RETRY_SECONDS = 1.0
PHOTO_BYTES = 128 * 1024 * 1024  # photos of refused reads kept in memory, in all


@dataclass(slots=True)
class RefusedRead:
    passage: Passage
    row: dict[str, Any]  # the passage row as it was offered to the ledger
    received: float  # monotonic time the read arrived


class RefusedReads:
    def __init__(self, hub: Hub, limit: int, max_age: float, texts: Callable[[str, float], str]) -> None:
        self.hub = hub
        self.max_age = max_age
        self.spool: Spool[RefusedRead] = Spool("Refused reads", limit, _LOGGER)
        self._texts = texts  # (reason code, age) -> the reason text the guard reads
        self._photo_bytes = 0
        self._task: asyncio.Task[None] | None = None
        self._log = ThrottledLog(_LOGGER)

    def __len__(self) -> int:
        return len(self.spool)

    def put(self, passage: Passage, row: dict[str, Any], received: float) -> None:
        size = sum(len(content) for content in row.get("images", {}).values())
        if self._photo_bytes + size > PHOTO_BYTES:
            row = {**row, "images": {}, "photos_dropped": True}
        else:
            self._photo_bytes += size
        if len(self.spool) == self.spool.limit:  # the oldest goes: its photos free their room
            self._photo_bytes -= _photo_size(self.spool.items[0])
        self.spool.put(RefusedRead(passage, row, received))
        self.kick()

    def kick(self) -> None:
        """Try to record what waits, now (the ledger took a row) and then every second."""
        if self.spool and (self._task is None or self._task.done()):
            self._task = self.hub.async_create_background_task(self._async_run(), name="policy refused reads")

    async def _async_run(self) -> None:
        recorded = 0
        while self.spool:
            item = self.spool.take()
            try:
                await self._async_record(item)
            except Exception as err:
                self.spool.put_front(item)
                self._log.log(
                    "refused", logging.ERROR, "Policy: %d refused read(s) wait for the ledger: %s",
                    len(self.spool), err,
                )  # fmt: skip
                await asyncio.sleep(RETRY_SECONDS)
            else:
                self._photo_bytes -= _photo_size(item)
                recorded += 1
        if recorded:
            _LOGGER.warning("Policy: %d read(s) the ledger refused are recorded now (not acted on)", recorded)

    async def _async_record(self, item: RefusedRead) -> None:
        age = self.hub.clock.monotonic() - item.received
        code = Reason.READ_EXPIRED if age > self.max_age else Reason.LEDGER_FAILED
        text = self._texts(code, age)
        if item.row.get("photos_dropped"):
            text += "（照片未能保留 photos not kept）"
        row = {k: v for k, v in item.row.items() if k != "photos_dropped"}
        row.update(decision=Verdict.REVIEW.value, reason_code=str(code), reason_text=text, needs_review=True)
        result = await self.hub.services.async_call("ledger", "record_passage", row, Context())
        item.passage.seq = result["seq"]  # its phase stays `error`: it was never acted on


def _photo_size(item: RefusedRead) -> int:
    return sum(len(content) for content in item.row.get("images", {}).values())
