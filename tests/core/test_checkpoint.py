"""WAL checkpoints run beside the commits, not inside them."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import threading

from hub.core import checkpoint
from hub.core.checkpoint import WalCheckpointer
from tests.conftest import wait_until


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


async def test_a_long_log_is_checkpointed_while_the_writer_keeps_its_connection(
    tmp_path, monkeypatch
) -> None:
    monkeypatch.setattr(checkpoint, "CHECK_SECONDS", 0.02)
    monkeypatch.setattr(checkpoint, "LOG_BYTES", 64 * 1024)
    database = tmp_path / "plant.db"
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE t (x BLOB)")
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


async def test_stopping_the_job_lets_a_checkpoint_already_on_its_thread_finish(
    tmp_path, monkeypatch
) -> None:
    # The hub cancels the job at stop; the worker thread goes on regardless. The connection it is
    # using must stay open until it returns (one closed under it crashed the interpreter once).
    monkeypatch.setattr(checkpoint, "CHECK_SECONDS", 0.01)
    database = tmp_path / "plant.db"
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (x)")
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

    async def run_blocking(call):
        def run() -> None:
            try:
                outcome.set_result(call())
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
