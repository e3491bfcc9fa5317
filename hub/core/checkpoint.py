"""Keeps SQLite's write-ahead log short without making a commit wait for it.

By default SQLite checkpoints inside the COMMIT that pushes the WAL past 1,000 pages: that commit then
also copies the log into the database file and flushes it, so one passage in every few hundred (one in
a few dozen once photos travel in the log) waits tens of milliseconds at the barrier. The hub turns
that off (`wal_autocheckpoint=0`) and runs checkpoints here instead, on their own connection on a
worker thread. When the log has been quiet for a while, a PASSIVE checkpoint copies it; the next
commit then starts the log over from its beginning.

Under steady traffic there is no quiet moment, and a PASSIVE checkpoint alone never lets the log start
over: a commit nearly always lands while it runs, so the log is never wholly copied when the next
transaction begins, and every commit goes on extending the file (a flush that also has to commit the
file system's journal: about twice as slow, and far slower while anything else writes to the disk).
So once the log holds LOG_BYTES, the PASSIVE checkpoint (which copies the bulk of it without taking
the write lock) is followed by a short one on the hub's own connection, between two of its
transactions (`between_commits`): no commit of the hub can land while it copies the few frames
committed meanwhile, so the log is wholly copied and the next commit starts it over, and no commit
waits on a lock for it. Where the hub's connection cannot be reached so, a RESTART checkpoint does the
same from the job's connection; it takes the write lock, and a commit meanwhile sleeps in SQLite's
busy handler (8-35 ms). From then on commits overwrite the file in place.
How long the log is comes from the WAL index (the `-shm` file, a documented format): the file's own
size stays at its longest once the log starts over.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

_LOGGER = logging.getLogger(__name__)
CHECK_SECONDS = 0.25  # how often the log is looked at
QUIET_SECONDS = 0.5  # a log not written for this long is checkpointed
# A log this long is checkpointed even while commits go on. The checkpoint's flush of the database
# file holds up the commits meanwhile, the longer the more it copies: from 64 MiB the worst passage
# of a 4,000-read bench waited 130-140 ms, from 16 MiB 40-90 ms, with the same p99.
LOG_BYTES = 16 * 1024 * 1024
RESTART_WAIT_MS = 20  # how long a RESTART checkpoint may hold commits off while readers finish
FRAME_HEADER = 24  # bytes before each page in the log

RunBlocking = Callable[..., Awaitable[Any]]
# Runs a call with the hub's own connection, on its thread, between two of its transactions; None
# when it cannot.
BetweenCommits = Callable[[Callable[[sqlite3.Connection], Any]], Awaitable[Any]]


class WalCheckpointer:
    def __init__(
        self, database: Path, run_blocking: RunBlocking, between_commits: BetweenCommits | None = None
    ) -> None:
        self.database = database
        self.wal = database.with_name(database.name + "-wal")
        self.shm = database.with_name(database.name + "-shm")
        self._run_blocking = run_blocking
        self._between_commits = between_commits
        self.checkpoints = 0

    async def async_run(self) -> None:
        """Until cancelled: checkpoint a log written since the last time once it is quiet, or once
        it holds LOG_BYTES."""
        last = 0.0
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            written = self._written()
            if written <= last:
                continue
            quiet = time.time() - written >= QUIET_SECONDS
            if quiet or self._log_bytes() >= LOG_BYTES:
                try:
                    await self._async_checkpoint(restart=not quiet)
                except sqlite3.Error as err:  # a busy or locked database: next time
                    _LOGGER.warning("WAL checkpoint of %s failed: %s", self.database, err)
                last = time.time()

    async def _async_checkpoint(self, restart: bool) -> None:
        """PASSIVE; with `restart`, then so that the next commit starts the log over."""
        if not restart or self._between_commits is None:
            await self._run_blocking(self.checkpoint, restart)
            return
        await self._run_blocking(self.checkpoint)
        if await self._between_commits(_catch_up) is None:  # not reached: from the job's connection
            await self._run_blocking(self.checkpoint, True)

    def checkpoint(self, restart: bool = False) -> tuple[int, int]:
        """Blocking: a PASSIVE checkpoint, then with `restart` a RESTART one; returns (frames in the
        log, frames checkpointed) of the last.

        The connection lives only for this call, on the worker thread that runs it: cancelling the job
        does not stop that thread, so a connection kept by the job and closed on cancel could be freed
        under a checkpoint still running (a segfault in CI once).
        """
        with closing(sqlite3.connect(self.database, timeout=1.0)) as conn:
            _, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            if restart:
                # RESTART holds off new commits while it waits for readers of the log: a long one
                # (an online backup) must not hold a barrier for long. Busy: it is tried again later.
                conn.execute(f"PRAGMA busy_timeout = {RESTART_WAIT_MS}")
                _, log, done = conn.execute("PRAGMA wal_checkpoint(RESTART)").fetchone()
        self.checkpoints += 1
        return int(log), int(done)

    def _written(self) -> float:
        """When the log was last written (wall clock, as file times are); 0 without a log."""
        try:
            return self.wal.stat().st_mtime
        except FileNotFoundError:
            return 0.0

    def _log_bytes(self) -> int:
        """The length of the log since it last started over: frames in the WAL index header."""
        try:
            with self.shm.open("rb") as index:
                header = index.read(20)
        except FileNotFoundError:
            return 0
        if len(header) < 20:
            return 0
        page = int.from_bytes(header[14:16], sys.byteorder) or 1
        frames = int.from_bytes(header[16:20], sys.byteorder)
        return frames * ((65536 if page == 1 else page) + FRAME_HEADER)


def _catch_up(conn: sqlite3.Connection) -> tuple[int, int] | None:
    """On the hub's connection, between its transactions: copy what the log gained during the bulk
    checkpoint. Returns (frames in the log, frames checkpointed); None inside a transaction."""
    if conn.in_transaction:
        return None
    _, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return int(log), int(done)
