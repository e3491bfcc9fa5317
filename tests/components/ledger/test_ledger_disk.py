"""The data disk runs low, then full: the gate stays safe, says so, and recovers when space returns.

The full-disk test runs the plant on a real small filesystem (a tmpfs of 8 MiB, mounted as root) and
fills it. What is asserted is what the guard, the monitoring and an inspector see: the barrier, the
alarm entities, `/api/health`, the decision events and the ledger's rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from hub.core import Hub
from tests.common import wait_state
from tests.components.policy.conftest import (
    config,
    fire_read,
    seed,
    user_context,
    watch_opening,
)

COVER = "cover.east_in_barrier"
LOW, FULL, FAULT = "binary_sensor.data_disk_low", "binary_sensor.data_disk_full", "binary_sensor.ledger_fault"
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 400  # 100 KiB: a camera's photo, stored as a file first


def plant_config(ledger: str) -> str:
    text = config().replace("ledger:\n", "ledger:\n" + "".join(f"  {line}\n" for line in ledger.splitlines()))
    return text + "ui: {port: 0}\n"


async def health(hub: Hub) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as session,
        session.get(f"{hub.data['ui'].url}/api/health") as response,
    ):
        return response.status, await response.json()


async def test_below_the_reserve_the_disk_is_an_alarm_health_is_degraded_and_backups_are_refused(
    make_hub, clock
) -> None:
    # A reserve larger than any disk: this disk is "low" whatever it holds.
    hub = await make_hub(
        "hub: {name: 磁盘测试}\nledger:\n  disk_reserve_mib: 100000000\n  disk_full_mib: 0\nui: {port: 0}\n",
        clock=clock,
    )
    low = hub.states.get(LOW)
    assert low.state == "on" and low.attributes["device_class"] == "problem"
    assert "reserve" in low.attributes["reason"]
    assert hub.states.get(FULL).state == "off"
    assert float(hub.states.get("sensor.data_disk_free").state) > 0
    status, body = await health(hub)
    assert status == 503 and body["status"] == "degraded"
    assert [p["id"] for p in body["problems"]] == ["disk_low"]
    admin = await user_context(hub, "admin1", "admin")
    with pytest.raises(Exception, match="备份 backup refused: the data disk is below the ledger's reserve"):
        await hub.services.async_call("ledger", "backup", {}, admin)


async def test_with_room_health_is_ok_and_the_alarms_are_off(make_hub, clock) -> None:
    hub = await make_hub("hub: {name: 磁盘测试}\nledger:\nui: {port: 0}\n", clock=clock)
    assert (hub.states.get(LOW).state, hub.states.get(FULL).state, hub.states.get(FAULT).state) == (
        "off", "off", "off",
    )  # fmt: skip
    status, body = await health(hub)
    assert (status, body["status"]) == (200, "ok") and "problems" not in body


@contextlib.contextmanager
def small_disk(path: Path, size: str = "8m") -> Iterator[Path]:
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs as the data disk needs root")
    path.mkdir(parents=True)
    try:
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    except (OSError, subprocess.CalledProcessError) as err:
        pytest.skip(f"cannot mount a tmpfs here: {err}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(path: Path) -> None:
    """Blocking: write until the disk refuses (ENOSPC)."""
    chunk = b"\0" * 65536
    with open(path, "wb", buffering=0) as out:
        while True:
            try:
                out.write(chunk)
            except OSError:
                break
        with contextlib.suppress(OSError):
            while out.write(b"\0" * 512):
                pass


@pytest.fixture
async def tmpfs_plant(tmp_path: Path) -> AsyncIterator[Path]:
    with small_disk(tmp_path / "plant") as plant:
        yield plant


async def test_a_full_disk_keeps_the_barrier_shut_alarms_and_records_everything_once_space_returns(
    make_hub, clock, tmpfs_plant: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = "disk_reserve_mib: 3\ndisk_full_mib: 1\ndisk_check_seconds: 0.05"
    hub = await make_hub(plant_config(ledger), clock=clock, config_dir=tmpfs_plant)
    assert {"ledger", "policy", "barrier", "ui"} <= set(hub.loaded), hub.setup_errors
    await wait_state(hub, "binary_sensor.east_in_barrier_online", "on")
    await wait_state(hub, COVER, "closed")
    await seed(hub)
    inspector = await user_context(hub, "inspector1", "inspector")
    assert (await health(hub))[0] == 200
    opened = watch_opening(hub)

    filler = hub.data_dir / "filler"
    await asyncio.get_running_loop().run_in_executor(None, fill, filler)
    await wait_state(hub, FULL, "on")
    assert hub.states.get(LOW).state == "on"
    status, body = await health(hub)
    assert status == 503 and body["status"] == "degraded"
    assert {"disk_full", "disk_low"} <= {p["id"] for p in body["problems"]}

    # Trucks read while the disk is full: none is let in, the guard sees why; one log line, not one a read.
    caplog.set_level(logging.WARNING)
    plates = ["冀B60006", "冀B66666", "冀B50005", "冀B40004"]
    refused = []
    for plate in plates:
        answer = await fire_read(hub, plate, timeout=30, images={"scene": PHOTO + plate.encode()})
        assert (answer["decision"], answer["allowed"]) == ("error", False), answer
        refused.append(answer["read_id"])
    for words in ("did not record", "Service ledger.record_passage failed"):
        assert len([r for r in caplog.records if words in r.getMessage()]) == 1, words
    async with asyncio.timeout(30):  # an inspector's query while the disk is full answers
        await hub.services.async_call("ledger", "query", {"plate": "冀B60006"}, inspector)
    clock.advance(11)  # the full spell lasts longer than a read may be acted on

    await asyncio.get_running_loop().run_in_executor(None, os.remove, filler)
    await wait_state(hub, FULL, "off")
    await wait_state(hub, LOW, "off")
    # What could not be recorded is recorded now, in the order it happened, as never acted on.
    async with asyncio.timeout(30):
        while True:
            rows = await hub.services.async_call("ledger", "read_records", {"after_seq": 0, "limit": 1000})
            late = [r for r in rows if r["kind"] == "passage" and r["read_id"] in refused]
            if len(late) == len(refused):
                break
            await asyncio.sleep(0.1)
    assert [r["read_id"] for r in sorted(late, key=lambda r: r["seq"])] == refused
    assert {(r["decision"], r["reason_code"]) for r in late} == {("review", "read_expired")}
    assert all(r["photo_scene"] for r in late)  # the photos were kept too
    async with asyncio.timeout(30):
        audit = await hub.services.async_call("ledger", "audit_query", {"action": "ledger.query"})
    assert audit["items"], "the inspector's call during the full spell is in the audit log"
    assert opened == []
    assert (await health(hub))[0] == 200

    # And the gate works as ever.
    clock.advance(300)
    fresh = await fire_read(hub, "冀B60006", images={"scene": PHOTO})
    assert (fresh["decision"], fresh["allowed"]) == ("allow", True)
    await wait_state(hub, COVER, "opening")
    async with asyncio.timeout(60):
        await hub.async_stop()  # before its disk is unmounted
