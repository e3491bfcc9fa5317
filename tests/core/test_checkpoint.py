"""The write-ahead log is checkpointed in quiet moments and never grows without bound."""

from __future__ import annotations

import asyncio
import concurrent.futures
import sqlite3
import threading

from hub.core import checkpoint
from hub.core.checkpoint import WalCheckpointer
from tests.common import wait_until


def _wal_writer(database, create: bool = True) -> sqlite3.Connection:
    writer = sqlite3.connect(database, isolation_level=None, timeout=5)
    writer.execute("PRAGMA journal_mode=WAL")
    if create:
        writer.execute("CREATE TABLE t (x BLOB)")
    return writer


async def test_the_running_hub_checkpoints_a_quiet_log(make_hub) -> None:
    hub = await make_hub()
    database = hub.data_dir / "ecogate.db"
    before = database.stat().st_size
    # Fewer pages than SQLite's own auto-checkpoint would copy: only the job moves them.
    await hub.db.connection.execute_script(
        "CREATE TABLE filler (x BLOB); "
        + "".join(f"INSERT INTO filler VALUES (zeroblob(4096)); -- {n}\n" for n in range(50))
    )
    await wait_until(lambda: database.stat().st_size > before + 50 * 4096, timeout=10)


async def test_under_steady_commits_the_log_stays_short(make_hub) -> None:
    # There is never a quiet moment here (the job waits for a second without a commit): SQLite's own
    # auto-checkpoint keeps the log short.
    hub = await make_hub()
    wal = hub.data_dir / "ecogate.db-wal"
    await hub.db.connection.execute_script("CREATE TABLE filler (x BLOB)")
    largest = 0
    for _ in range(3000):  # ~12 MiB through the log, three times what SQLite lets it hold
        await hub.db.connection.execute_query("INSERT INTO filler VALUES (zeroblob(4000))")
        largest = max(largest, wal.stat().st_size)
    assert largest < 6 * 1024 * 1024, largest


async def test_a_checkpoint_beside_a_writer_loses_nothing(tmp_path) -> None:
    database = tmp_path / "plant.db"
    writer = _wal_writer(database)
    for _ in range(40):
        writer.execute("INSERT INTO t VALUES (?)", [b"\x00" * 4096])
    before = database.stat().st_size
    job = WalCheckpointer(database, asyncio.to_thread, check_seconds=0.02, quiet_seconds=0.05)
    task = asyncio.create_task(job.async_run())
    try:
        await wait_until(lambda: database.stat().st_size > before + 40 * 4096, timeout=10)
        writer.execute("INSERT INTO t VALUES (?)", [b"\x01"])
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        writer.close()
    with sqlite3.connect(database) as reader:
        assert reader.execute("SELECT count(*) FROM t").fetchone()[0] == 41


async def test_stopping_the_job_lets_a_checkpoint_already_on_its_thread_finish(tmp_path, monkeypatch) -> None:
    # The hub cancels the job at stop; the worker thread goes on regardless. The connection it is
    # using must stay open until it returns (one closed under it crashed the interpreter once).
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

    job = WalCheckpointer(database, run_blocking, check_seconds=0.01, quiet_seconds=0.0)
    writer.execute("INSERT INTO t VALUES (1)")
    task = asyncio.create_task(job.async_run())
    await asyncio.wait_for(asyncio.to_thread(in_checkpoint.wait, 10), 10)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    go_on.set()
    log, done = await asyncio.wait_for(asyncio.wrap_future(outcome), 10)
    assert log == done
    writer.close()
