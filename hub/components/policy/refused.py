"""Reads the ledger refused (a full disk, a database locked by another process), recorded later.

The barrier stayed shut for each of them (the ledger-first rule), but the read happened and the ledger
must show it. They wait here, in order and bounded, and are recorded once the ledger takes rows again,
as what they became: never acted on, held for the guard, `read_expired` if they are older than the
read age limit by then (they nearly always are), else `ledger_failed`. They hold their photos'
references only: the photo store keeps the photos (in memory, bounded, while the disk refuses them).
A photo the store could not keep is left out of the row, and its reason says so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.core import Context
from hub.core.faults import Spool, ThrottledLog
from hub.core.photos import PhotoRef

from .const import Reason, Verdict
from .passage import Passage

if TYPE_CHECKING:
    from hub.core import Hub

_LOGGER = logging.getLogger(__name__)
RETRY_SECONDS = 1.0


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
        self._task: asyncio.Task[None] | None = None
        self._log = ThrottledLog(_LOGGER)

    def __len__(self) -> int:
        return len(self.spool)

    def put(self, passage: Passage, row: dict[str, Any], received: float) -> None:
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
                recorded += 1
        if recorded:
            _LOGGER.warning("Policy: %d read(s) the ledger refused are recorded now (not acted on)", recorded)

    async def _async_record(self, item: RefusedRead) -> None:
        age = self.hub.clock.monotonic() - item.received
        code = Reason.READ_EXPIRED if age > self.max_age else Reason.LEDGER_FAILED
        text = self._texts(code, age)
        row = dict(item.row)
        photos: dict[str, PhotoRef] = row.get("photos") or {}
        missing = await self.hub.photos.async_ensure(photos)  # OSError while the disk still refuses
        if missing:
            row["photos"] = {role: ref for role, ref in photos.items() if role not in missing}
            text += "（照片未能保留 photos not kept）"
        row.update(decision=Verdict.REVIEW.value, reason_code=str(code), reason_text=text, needs_review=True)
        result = await self.hub.services.async_call("ledger", "record_passage", row, Context())
        item.passage.seq = result["seq"]  # its phase stays `error`: it was never acted on
