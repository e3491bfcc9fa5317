"""Start and stop: release steps run in reverse, the database closes, a real process stops on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys

from hub.core import HubState
from hub.core.const import EVENT_HUB_STOP
from tests.conftest import REPO, write_config


async def test_stop_runs_release_steps_in_reverse_and_lets_queued_work_finish(make_hub) -> None:
    hub = await make_hub()
    order: list[str] = []
    handled: list[int] = []

    async def slow_listener(event) -> None:
        await asyncio.sleep(0.01)
        handled.append(event.data["n"])

    hub.bus.async_listen("work", slow_listener)
    for n in range(5):
        hub.bus.async_fire("work", {"n": n})
    hub.bus.async_listen(EVENT_HUB_STOP, lambda e: order.append("stop event"))
    hub.async_on_stop(lambda: order.append("camera released"))

    async def close_plc() -> None:
        order.append("plc released")

    hub.async_on_stop(close_plc)
    forever = hub.async_create_background_task(asyncio.sleep(3600), name="poller")
    await hub.async_stop()
    assert handled == [0, 1, 2, 3, 4]
    assert order == ["stop event", "plc released", "camera released"]
    assert forever.cancelled()
    assert hub.state is HubState.STOPPED


async def _read_until(stream: asyncio.StreamReader, needle: str, timeout: float) -> str:
    seen = ""
    async with asyncio.timeout(timeout):
        while needle not in seen:
            line = await stream.readline()
            if not line:
                break
            seen += line.decode("utf-8", "replace")
    return seen


async def test_sigterm_stops_a_running_plant_cleanly(tmp_path) -> None:
    config_dir = write_config(
        tmp_path / "plant",
        """\
        hub:
          name: SIGTERM test
        traffic:
          rate_per_minute: 600
          lanes: [{gate: east_gate, lane: in, directions: [in]}]
        anpr:
          cameras: [{gate: east_gate, lane: in, direction: in}]
        console:
        """,
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", "run", "-c", str(config_dir),
        cwd=REPO, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    try:
        output = await _read_until(proc.stdout, "识别 read", timeout=60)
        assert "识别 read" in output, output
        proc.send_signal(signal.SIGTERM)
        rest = await asyncio.wait_for(proc.stdout.read(), 30)
        assert await asyncio.wait_for(proc.wait(), 30) == 0, rest.decode()
    finally:
        if proc.returncode is None:
            proc.kill()
    db = config_dir / "data" / "ecogate.db"
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM core_entity").fetchone()[0] == 2
