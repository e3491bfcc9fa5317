"""Keeps SQLite's write-ahead log short without making a commit wait for it.

By default SQLite checkpoints inside the COMMIT that pushes the WAL past 1,000 pages: that commit then
also copies the log into the database file and flushes it, so one passage in every few hundred (one in
a few dozen once photos travel in the log) waits tens of milliseconds at the barrier. The hub turns
that off (`wal_autocheckpoint=0`) and runs PASSIVE checkpoints here instead, on its own connection on
a worker thread: they never take the write lock, so commits go on meanwhile. They still share the disk
with the commits' flushes, so they wait for a quiet moment (the log not written for a while) unless
the log grows long.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from contextlib import closing
from pathlib import Path
from typing import Any

_LOGGER = logging.getLogger(__name__)
CHECK_SECONDS = 0.25  # how often the log is looked at
QUIET_SECONDS = 0.5  # a log not written for this long is checkpointed
LOG_BYTES = 64 * 1024 * 1024  # a log this long is checkpointed even while commits go on

RunBlocking = Callable[..., Awaitable[Any]]


class WalCheckpointer:
    def __init__(self, database: Path, run_blocking: RunBlocking) -> None:
        self.database = database
        self.wal = database.with_name(database.name + "-wal")
        self._run_blocking = run_blocking
        self.checkpoints = 0

    async def async_run(self) -> None:
        """Until cancelled: checkpoint when the log was written and is quiet now, or is long."""
        last = 0.0
        while True:
            await asyncio.sleep(CHECK_SECONDS)
            size, written = self._log_state()
            quiet = time.time() - written >= QUIET_SECONDS
            if written > last and (quiet or size >= LOG_BYTES):
                try:
                    await self._run_blocking(self.checkpoint)
                except sqlite3.Error as err:  # a busy or locked database: next time
                    _LOGGER.warning("WAL checkpoint of %s failed: %s", self.database, err)
                last = time.time()

    def checkpoint(self) -> tuple[int, int]:
        """Blocking: one PASSIVE checkpoint; returns (frames in the log, frames checkpointed).

        The connection lives only for this call, on the worker thread that runs it: cancelling the job
        does not stop that thread, so a connection kept by the job and closed on cancel could be freed
        under a checkpoint still running (a segfault in CI once).
        """
        with closing(sqlite3.connect(self.database, timeout=1.0)) as conn:
            _, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.checkpoints += 1
        return int(log), int(done)

    def _log_state(self) -> tuple[int, float]:
        """The log's size and when it was last written (wall clock, as file times are)."""
        try:
            stat = self.wal.stat()
        except FileNotFoundError:
            return 0, 0.0
        return stat.st_size, stat.st_mtime
