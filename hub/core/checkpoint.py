"""Keeps SQLite's write-ahead log short, through SQLite's own interface only.

SQLite checkpoints by itself inside the commit that takes the log past 1,000 pages (its auto-checkpoint,
left on as the backstop under steady traffic). This job does that work earlier, in a quiet moment, so
that a passage's commit rarely carries it: once the log has not been written for QUIET_SECONDS, a
PASSIVE checkpoint (which never holds a commit off) runs on a connection of its own on a worker thread,
and the next commit starts the log over.

The job never opens SQLite's files itself: closing any descriptor of a file drops every POSIX lock the
process holds on it, SQLite's own included, and the next process to open the database then rebuilt the
WAL index the hub had mapped (the hub died of SIGBUS). Whether the log was written is seen from the
log file's modification time (a stat, no descriptor); everything else goes through `sqlite3`.
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
CHECK_SECONDS = 1.0  # how often the log's modification time is looked at
QUIET_SECONDS = 1.0  # a log not written for this long is checkpointed

RunBlocking = Callable[..., Awaitable[Any]]


class WalCheckpointer:
    def __init__(
        self,
        database: Path,
        run_blocking: RunBlocking,
        *,
        check_seconds: float = CHECK_SECONDS,
        quiet_seconds: float = QUIET_SECONDS,
    ) -> None:
        self.database = database
        self.wal = database.with_name(database.name + "-wal")
        self._run_blocking = run_blocking
        self.check_seconds, self.quiet_seconds = check_seconds, quiet_seconds

    async def async_run(self) -> None:
        """Until cancelled: checkpoint a log written since the last checkpoint, once it is quiet."""
        done_at = 0.0
        while True:
            # Real time, not the hub's clock: quiet is the log file's real mtime, which no clock move ages.
            await asyncio.sleep(self.check_seconds)
            written = self._written()
            if written <= done_at or time.time() - written < self.quiet_seconds:
                continue
            try:
                await self._run_blocking(self.checkpoint)
            except sqlite3.Error as err:  # a busy or locked database: next time
                _LOGGER.warning("WAL checkpoint of %s failed: %s", self.database, err)
            done_at = written

    def checkpoint(self) -> tuple[int, int]:
        """Blocking: a PASSIVE checkpoint; returns (frames in the log, frames checkpointed).

        The connection lives only for this call, on the worker thread that runs it: cancelling the job
        does not stop that thread, so a connection kept by the job and closed on cancel could be freed
        under a checkpoint still running.
        """
        with closing(sqlite3.connect(self.database, timeout=1.0)) as conn:
            _, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        return int(log), int(done)

    def _written(self) -> float:
        """When the log was last written (wall clock, as file times are); 0 without a log."""
        try:
            return self.wal.stat().st_mtime
        except FileNotFoundError:
            return 0.0
