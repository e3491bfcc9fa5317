"""Other processes reading the database of a hub under traffic never bring the hub down.

Found: the checkpoint job opened and closed SQLite's `-shm` file behind SQLite's back; closing it
dropped SQLite's own POSIX locks, so the next process to open the database rebuilt the WAL index the
hub had mapped, and the hub died of SIGBUS at the first plain reader, the 5th `uplink status` or the
3rd `ledger backup`.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import sys
from pathlib import Path

from tests.conftest import REPO, write_config

LOAD = Path(__file__).with_name("ledger_load.py")
READING_SECONDS = 15  # each kind of reader runs again and again for this long (several runs each)
READER = (
    "import sqlite3, sys\n"
    "conn = sqlite3.connect(sys.argv[1], timeout=5)\n"
    "print(conn.execute(\"SELECT count(*) FROM ledger_record WHERE kind = 'passage'\").fetchone()[0])\n"
)


async def _run(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        *args, cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode("utf-8", "replace")


async def test_readers_backups_and_the_cli_beside_a_hub_under_traffic(tmp_path) -> None:
    config_dir = write_config(
        tmp_path / "plant",
        """\
        hub:
          name: 并发读取测试
        traffic:
          rate_per_minute: 300
          lanes:
            - {gate: east_gate, lane: in, directions: [in]}
          dwell_seconds: [1, 3]
        anpr:
          cameras: [{gate: east_gate, lane: in, direction: in}]
        ledger:
        """,
    )
    database = config_dir / "data" / "ecogate.db"
    hub = await asyncio.create_subprocess_exec(
        sys.executable, str(LOAD), str(config_dir), cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)},
    )  # fmt: skip
    log: list[str] = []
    committed = 0

    async def follow() -> None:
        nonlocal committed
        while line := (await hub.stdout.readline()).decode("utf-8", "replace"):
            log.append(line)
            committed += line.startswith("COMMITTED ")

    follower = asyncio.create_task(follow())
    try:
        async with asyncio.timeout(60):
            while committed < 200:
                assert hub.returncode is None and not follower.done(), "".join(log[-30:])
                await asyncio.sleep(0.1)

        async def again_and_again(name: str, *args: str) -> int:
            """Runs one reader until the time is up; returns how many runs succeeded."""
            runs = 0
            deadline = asyncio.get_running_loop().time() + READING_SECONDS
            while asyncio.get_running_loop().time() < deadline:
                code, out = await _run(*args)
                assert code == 0, f"{name} failed:\n{out}"
                runs += 1
            return runs

        backups = tmp_path / "backups"
        runs = await asyncio.gather(
            again_and_again("sqlite3 reader", sys.executable, "-c", READER, str(database)),
            again_and_again(
                "ledger query", sys.executable, "-m", "hub", "ledger", "query", "-c", str(config_dir),
                "--contains", "津A",
            ),
            again_and_again(
                "ledger backup", sys.executable, "-m", "hub", "ledger", "backup", "-c", str(config_dir),
                "--to", str(backups),
            ),
        )  # fmt: skip
        assert all(runs), runs
        # The hub lived through all of it and still commits.
        seen = committed
        async with asyncio.timeout(30):
            while committed < seen + 50:
                assert hub.returncode is None and not follower.done(), "hub died:\n" + "".join(log[-30:])
                await asyncio.sleep(0.1)
    finally:
        if hub.returncode is None:
            hub.terminate()
        await asyncio.wait_for(hub.wait(), 30)
        follower.cancel()
    assert hub.returncode not in (-7, -11), "".join(log[-30:])  # SIGBUS, SIGSEGV

    code, report = await _run(sys.executable, "-m", "hub", "ledger", "verify", "-c", str(config_dir))
    assert code == 0, report
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
