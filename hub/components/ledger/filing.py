"""Filing: photos committed with their passage move from the database into the evidence store.

A passage's small photos are inserted in the transaction of its row (`ledger_evidence_pending`), so
one flush of the database log makes both durable before the barrier moves, instead of a flush per
file, one per directory and then the log's, in series (larger ones are stored as files first: see
`Ledger._async_prepare_photos`). This job files them as content-addressed files once
the gate is quiet (or the backlog is long), flushes the files, and only then deletes their pending
rows: a photo is always in one place or the other, and one left pending by a crash is filed on start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from typing import Any

from hub.core.disk import DiskLow

from .evidence import EvidenceState, EvidenceStore, state_of
from .sql import for_dialect

_LOGGER = logging.getLogger(__name__)
# Filing competes with the passages' commits for the disk (creating thousands of files and flushing
# them: under sustained traffic, passages committed during a filing round were most of the slowest
# 2 %), and a photo in the database is as durable as its passage's row. So photos wait for a quiet
# moment, unless a long busy spell piles up many of them.
QUIET_SECONDS = 0.25  # filed once no photo has come for this long: the disk is the barrier's first
MAX_WAIT_SECONDS = 600.0  # ... or at the latest this long after the first photo of a busy spell
MAX_BACKLOG = 50_000  # ... or once this many photos wait
MAX_BACKLOG_BYTES = 64 * 1024 * 1024  # ... or this many bytes of them
BATCH = 50  # photos filed per round (their bytes are in memory meanwhile)
IN_LIST = 500  # hashes per `IN (...)` list

TABLE = "ledger_evidence_pending"
INSERT_PENDING = f"INSERT INTO {TABLE} (sha256, content) VALUES (?, ?) ON CONFLICT (sha256) DO NOTHING"
RunBlocking = Callable[..., Awaitable[Any]]


async def async_pending(conn: Any, dialect: str, shas: Iterable[str]) -> dict[str, bytes]:
    """The pending photos among `shas`, with their bytes."""
    wanted = sorted(set(shas))
    found: dict[str, bytes] = {}
    for i in range(0, len(wanted), IN_LIST):
        part = wanted[i : i + IN_LIST]
        marks = ", ".join("?" for _ in part)
        _, rows = await conn.execute_query(
            for_dialect(dialect, f"SELECT sha256, content FROM {TABLE} WHERE sha256 IN ({marks})"),
            part,
        )
        found.update((str(r[0]), bytes(r[1])) for r in rows)
    return found


async def async_pending_shas(conn: Any) -> set[str]:
    _, rows = await conn.execute_query(f"SELECT sha256 FROM {TABLE}")
    return {str(r[0]) for r in rows}


async def async_photo_states(
    conn: Any, dialect: str, evidence: EvidenceStore, run_blocking: RunBlocking, shas: Iterable[str]
) -> dict[str, EvidenceState]:
    """Each photo's state, filed or pending: ok, missing or changed."""
    wanted = sorted(set(shas))
    states: dict[str, EvidenceState] = await run_blocking(lambda: {s: evidence.check(s) for s in wanted})
    missing = [s for s, state in states.items() if state == "missing"]
    if missing:
        pending = await async_pending(conn, dialect, missing)

        def recheck() -> dict[str, EvidenceState]:
            # One not pending any more was filed since its file was looked for: look again.
            return {s: state_of(s, pending[s]) if s in pending else evidence.check(s) for s in missing}

        states.update(await run_blocking(recheck))
    return states


class EvidenceFiling:
    def __init__(
        self,
        conn: Callable[[], Any],
        dialect: str,
        evidence: EvidenceStore,
        run_blocking: RunBlocking,
        room: Callable[[], Awaitable[None]] | None = None,
    ):
        self._conn = conn
        self._room = room  # raises DiskLow below the ledger's reserve: photos then stay in the database
        self._refused = False
        self._dialect = dialect
        self._evidence = evidence
        self._run_blocking = run_blocking
        self._arrived = asyncio.Event()
        self._waiting = 0  # photos committed pending since the last round
        self._waiting_bytes = 0
        self._lock = asyncio.Lock()
        self.filed = 0

    def notify(self, photos: int, size: int) -> None:
        """`photos` of `size` bytes in all were committed pending."""
        self._waiting += photos
        self._waiting_bytes += size
        self._arrived.set()

    async def async_run(self) -> None:
        """Until cancelled: file what a crash left pending, then each quiet moment's photos. A round
        started in a quiet moment gives way as soon as another photo comes (the gate is busy again:
        a stall of the disk can look like a quiet moment) and goes on at the next one; a round that
        a long busy spell forces runs to its end."""
        await self._async_flush_logged(give_way=False)
        loop = asyncio.get_running_loop()
        deadline: float | None = None  # of the busy spell that is not filed yet
        while True:
            await self._arrived.wait()
            if deadline is None:
                deadline = loop.time() + MAX_WAIT_SECONDS
            quiet = False
            while (
                self._waiting < MAX_BACKLOG
                and self._waiting_bytes < MAX_BACKLOG_BYTES
                and (left := deadline - loop.time()) > 0
            ):
                self._arrived.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(QUIET_SECONDS, left)):
                        await self._arrived.wait()
                        continue  # another photo: the gate is busy, wait on
                quiet = True
                break
            self._arrived.clear()
            if await self._async_flush_logged(give_way=quiet):
                deadline = None

    async def _async_flush_logged(self, give_way: bool) -> bool:
        """A round of filing; True if it filed everything (it did not give way, nor fail)."""
        try:
            if self._room is not None:
                await self._room()
            self._refused = False
            return (await self._async_file(give_way))[1]
        except DiskLow as err:  # said once a spell; the photos are safe where they are
            if not self._refused:
                self._refused = True
                _LOGGER.warning("Photos stay in the database for now: %s", err)
            return False
        except Exception:  # the photos stay pending and in the database: next round
            _LOGGER.exception("Filing evidence photos failed")
            return False

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """Nothing is filed meanwhile: photos committed now stay in the database until it ends."""
        async with self._lock:
            yield

    async def async_flush(self) -> int:
        """File every pending photo now; returns how many were filed."""
        return (await self._async_file(give_way=False))[0]

    async def _async_file(self, give_way: bool) -> tuple[int, bool]:
        """File pending photos, BATCH at a time; with `give_way`, stop once another photo comes.
        Returns how many were filed and whether all were (it did not stop)."""
        async with self._lock:
            conn = self._conn()
            sql = for_dialect(
                self._dialect,
                f"SELECT sha256, content FROM {TABLE} WHERE sha256 > ? ORDER BY sha256 LIMIT ?",
            )
            filed, after = 0, ""
            while True:
                if give_way and self._arrived.is_set():
                    return filed, False
                _, rows = await conn.execute_query(sql, [after, BATCH])
                if not rows:
                    return filed, True
                photos = [(str(r[0]), bytes(r[1])) for r in rows]
                after = photos[-1][0]
                good = await self._run_blocking(self._file, photos)
                if good:
                    marks = ", ".join("?" for _ in good)
                    await conn.execute_query(
                        for_dialect(self._dialect, f"DELETE FROM {TABLE} WHERE sha256 IN ({marks})"),
                        good,
                    )
                filed += len(good)
                self.filed += len(good)
                # What waits is counted down as it is filed, so that a round that gave way leaves
                # the rest counted against the backlog limits.
                filed_now = set(good)
                self._waiting = max(0, self._waiting - len(good))
                size = sum(len(content) for sha, content in photos if sha in filed_now)
                self._waiting_bytes = max(0, self._waiting_bytes - size)

    def _file(self, photos: list[tuple[str, bytes]]) -> list[str]:
        """Blocking: write and flush the photos that still have their hash; returns their hashes.
        One whose bytes were changed in the database stays there, for `verify` to report."""
        good = [(sha, content) for sha, content in photos if state_of(sha, content) == "ok"]
        for sha, _ in set(photos) - set(good):
            _LOGGER.error("Pending photo %s… does not match its hash; left for verify", sha[:16])
        new = [(sha, content) for sha, content in good if self._evidence.check(sha) != "ok"]
        if new:
            self._evidence.put_many(new)
        return [sha for sha, _ in good]
