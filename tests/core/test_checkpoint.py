"""WAL checkpoints run beside the commits, not inside them."""

from __future__ import annotations

import asyncio
import concurrent.futures
import queue
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from hub.core import checkpoint
from hub.core.checkpoint import WalCheckpointer
from tests.conftest import wait_until


def _wal_writer(database: Path, create: bool = True) -> sqlite3.Connection:
    """A writer as the hub's is: WAL, no checkpoints of its own; with a table t to fill."""
    writer = sqlite3.connect(database, isolation_level=None, timeout=5)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    if create:
        writer.execute("CREATE TABLE t (x BLOB)")
    return writer


def _spy_on_restarts(monkeypatch) -> list[bool]:
    """Whether each checkpoint of a job ran RESTART, in order."""
    restarts: list[bool] = []
    original = WalCheckpointer.checkpoint

    def checkpoint(job: WalCheckpointer, restart: bool = False) -> tuple[int, int]:
        restarts.append(restart)
        return original(job, restart)

    monkeypatch.setattr(WalCheckpointer, "checkpoint", checkpoint)
    return restarts


async def test_the_running_hub_commits_without_checkpointing_and_checkpoints_beside(
    make_hub, monkeypatch
) -> None:
    monkeypatch.setattr(checkpoint, "CHECK_SECONDS", 0.02)
    monkeypatch.setattr(checkpoint, "QUIET_SECONDS", 0.05)
    hub = await make_hub()
    _, rows = await hub.db.connection.execute_query("PRAGMA wal_autocheckpoint")
    assert rows[0][0] == 0  # a commit never copies the log into the database file itself
    database = hub.data_dir / "ecogate.db"
    before = database.stat().st_size
    await hub.db.connection.execute_script(
        "CREATE TABLE filler (x BLOB); "
        + "".join(f"INSERT INTO filler VALUES (zeroblob(4096)); -- {n}\n" for n in range(50))
    )
    # Once the log is quiet, the hub's own job moves the new pages into the database file.
    await wait_until(lambda: database.stat().st_size > before + 50 * 4096, timeout=10)


async def test_the_running_hub_starts_a_long_log_over_between_its_own_commits(make_hub, monkeypatch) -> None:
    monkeypatch.setattr(checkpoint, "CHECK_SECONDS", 0.02)
    monkeypatch.setattr(checkpoint, "QUIET_SECONDS", 60)  # only the length of the log counts here
    monkeypatch.setattr(checkpoint, "LOG_BYTES", 128 * 1024)
    restarts = _spy_on_restarts(monkeypatch)
    hub = await make_hub()
    log = WalCheckpointer(hub.data_dir / "ecogate.db", asyncio.to_thread)
    await hub.db.connection.execute_script("CREATE TABLE filler (x BLOB)")
    length, starts_over = log._log_bytes(), 0
    async with asyncio.timeout(30):
        while starts_over < 3:  # commits go on while the job checkpoints
            await hub.db.connection.execute_query("INSERT INTO filler VALUES (zeroblob(4000))")
            length, before = log._log_bytes(), length
            starts_over += length < before
    # The hub's own connection finished each checkpoint, between two commits: none took the lock.
    assert restarts and not any(restarts)


async def test_a_long_log_is_checkpointed_while_the_writer_keeps_its_connection(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(checkpoint, "CHECK_SECONDS", 0.02)
    monkeypatch.setattr(checkpoint, "LOG_BYTES", 64 * 1024)
    database = tmp_path / "plant.db"
    writer = _wal_writer(database)
    for _ in range(40):
        writer.execute("INSERT INTO t VALUES (?)", [b"\x00" * 4096])
    wal = database.with_name("plant.db-wal")
    assert wal.stat().st_size > 64 * 1024  # nothing checkpointed it so far

    job = WalCheckpointer(database, asyncio.to_thread)
    task = asyncio.create_task(job.async_run())
    try:
        await wait_until(lambda: job.checkpoints >= 1, timeout=10)
        # Everything in the log is in the database file now: the next write starts the log afresh.
        log, done = await asyncio.to_thread(job.checkpoint)
        assert log == done
        writer.execute("INSERT INTO t VALUES (?)", [b"\x01"])
        assert writer.execute("SELECT count(*) FROM t").fetchone()[0] == 41
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        writer.close()
    reader = sqlite3.connect(database)
    assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 41
    reader.close()


@pytest.mark.parametrize("from_the_writer", [True, False], ids=["between-commits", "restart"])
async def test_under_steady_commits_the_log_starts_over_instead_of_growing(
    tmp_path, monkeypatch, from_the_writer: bool
) -> None:
    # A PASSIVE checkpoint alone nearly always has a commit land while it runs, and then the log never
    # starts over: every commit extends the file (a slower flush), without bound. The hub finishes it
    # on its own connection between two commits; without that connection, a RESTART does.
    monkeypatch.setattr(checkpoint, "CHECK_SECONDS", 0.02)
    monkeypatch.setattr(checkpoint, "LOG_BYTES", 256 * 1024)
    database = tmp_path / "plant.db"
    _wal_writer(database).close()
    wal = database.with_name("plant.db-wal")
    stop, largest, commits = threading.Event(), [0], [0]
    calls: queue.Queue[tuple[Any, concurrent.futures.Future]] = queue.Queue()

    def commit_steadily() -> None:
        writer = _wal_writer(database, create=False)
        writer.execute("PRAGMA synchronous=OFF")  # a commit a millisecond, whatever the disk
        while not stop.is_set() and commits[0] < 20_000:
            writer.execute("INSERT INTO t VALUES (zeroblob(4000))")
            commits[0] += 1
            largest[0] = max(largest[0], wal.stat().st_size)
            while not calls.empty():  # as the hub's connection thread runs what is queued for it
                call, outcome = calls.get()
                outcome.set_result(call(writer))
            time.sleep(0.001)
        writer.close()

    async def between_commits(call: Any) -> Any:
        outcome: concurrent.futures.Future = concurrent.futures.Future()
        calls.put((call, outcome))
        return await asyncio.wrap_future(outcome)

    restarts = _spy_on_restarts(monkeypatch)
    job = WalCheckpointer(database, asyncio.to_thread, between_commits if from_the_writer else None)
    task = asyncio.create_task(job.async_run())
    committing = asyncio.create_task(asyncio.to_thread(commit_steadily))
    try:
        # Ten times the limit committed, long enough for several checkpoints.
        await wait_until(lambda: commits[0] * 4096 > 10 * checkpoint.LOG_BYTES and job.checkpoints >= 3, 60)
    finally:
        stop.set()
        await committing
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert largest[0] < 4 * checkpoint.LOG_BYTES, (largest[0], commits[0], job.checkpoints)
    # Between commits, no checkpoint takes the write lock from the writer.
    assert any(restarts) != from_the_writer


async def test_stopping_the_job_lets_a_checkpoint_already_on_its_thread_finish(tmp_path, monkeypatch) -> None:
    # The hub cancels the job at stop; the worker thread goes on regardless. The connection it is
    # using must stay open until it returns (one closed under it crashed the interpreter once).
    monkeypatch.setattr(checkpoint, "CHECK_SECONDS", 0.01)
    database = tmp_path / "plant.db"
    writer = _wal_writer(database)
    in_checkpoint, go_on = threading.Event(), threading.Event()
    connect = sqlite3.connect

    class HeldConnection:
        """A connection whose checkpoint pauses on the worker thread until the test lets it go."""

        def __init__(self, *args, **kwargs) -> None:
            self._conn = connect(*args, **kwargs)

        def execute(self, sql: str):
            in_checkpoint.set()
            go_on.wait(10)
            return self._conn.execute(sql)

        def close(self) -> None:
            self._conn.close()

    monkeypatch.setattr(checkpoint.sqlite3, "connect", HeldConnection)
    outcome: concurrent.futures.Future = concurrent.futures.Future()

    async def run_blocking(call, *args):
        def run() -> None:
            try:
                outcome.set_result(call(*args))
            except BaseException as err:
                outcome.set_exception(err)

        await asyncio.get_running_loop().run_in_executor(None, run)

    job = WalCheckpointer(database, run_blocking)
    writer.execute("INSERT INTO t VALUES (1)")
    task = asyncio.create_task(job.async_run())
    await asyncio.wait_for(asyncio.to_thread(in_checkpoint.wait, 10), 10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    go_on.set()
    log, done = await asyncio.wait_for(asyncio.wrap_future(outcome), 10)
    assert log == done
    writer.close()
