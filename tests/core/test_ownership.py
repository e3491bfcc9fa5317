"""One owner per data directory: a command beside a running hub goes through it; a command alone holds
the directory, and a hub does not start meanwhile; two hubs never share one; restore waits for a stop."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

import pytest

from hub.components.ledger import backup
from hub.components.vehicles.const import EVENT_REGISTER_CHANGED
from hub.core.control_client import CallRefused, RemoteDoor
from hub.core.ownership import DataDirBusy
from tests.components.ledger.conftest import passage
from tests.components.vehicles.conftest import transport
from tests.components.vehicles.test_vehicles_import import xlsx
from tests.conftest import REPO, write_config

PLANT = "hub:\n  name: 一个数据目录\nledger:\nvehicles:\n"
HEADERS = ["车牌号码", "车牌颜色", "车辆类型", "车辆识别代号", "注册登记日期", "燃料类型", "排放阶段"]


def register_file(n: int) -> bytes:
    row = [f"冀B{n:05d}", "黄", "重型自卸货车", transport(n)["vin"], "20200101", "天然气", "国六"]
    return xlsx(HEADERS, [row])


async def ecogate(*args: str, stdin: bytes | None = None) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", *args, cwd=REPO, stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(stdin), 120)
    return proc.returncode or 0, out.decode("utf-8", "replace")


async def audit(hub, **query: str) -> list[dict]:  # type: ignore[no-untyped-def, type-arg]
    """The audit rows asked for, once there are any (the ledger writes them in its own time)."""
    async with asyncio.timeout(30):
        while True:
            await hub.async_block_till_done()
            result = await hub.services.async_call("ledger", "audit_query", {"page_size": 200, **query})
            if result["items"]:
                return result["items"]
            await asyncio.sleep(0.05)


async def test_a_command_beside_a_running_hub_goes_through_it(make_hub, tmp_path) -> None:
    config_dir = write_config(tmp_path / "plant", PLANT)
    hub = await make_hub(PLANT, config_dir=config_dir)
    source = tmp_path / "运输车辆.xlsx"
    source.write_bytes(register_file(7))
    changed = asyncio.create_task(
        hub.bus.async_wait_for(EVENT_REGISTER_CHANGED, lambda e: e.data["key"] == "冀B00007", timeout=60)
    )
    await asyncio.sleep(0)  # the listener is in place before the command runs
    code, out = await ecogate("vehicles", "import", "transport", str(source), "-c", str(config_dir))
    assert code == 0 and "新增 created 1" in out, out
    # The change happened in the hub itself: announced on its bus, in its register, no polling.
    assert (await changed).data["action"] == "created"
    found = await hub.services.async_call("vehicles", "lookup", {"plate": "冀B00007"})
    assert found is not None and found["fuel"] == "E"
    # Audited as the command line: the call, and the command with the person behind it.
    (call,) = await audit(hub, action="vehicles.import")
    assert call["door"] == "cli" and call["outcome"] == "ok", call
    commands = await audit(hub, action="cli.command")
    assert commands and "ecogate vehicles import transport" in commands[-1]["detail"]["command"]
    assert commands[-1]["detail"]["context_id"] == call["detail"]["context_id"]

    # A user added from the command line can act at once: the hub's own user list changed.
    code, out = await ecogate(
        "user", "-c", str(config_dir), "add", "wang", "--roles", "guard", "--password-stdin",
        stdin=b"lane-keeper-2026\n",
    )  # fmt: skip
    assert code == 0 and "added wang (guard)" in out, out
    assert hub.auth.by_name("wang") is not None
    (added,) = await audit(hub, action="auth.add_user")
    assert added["door"] == "cli" and added["detail"]["data"]["password"] == "***"
    code, out = await ecogate("user", "-c", str(config_dir), "list")
    assert code == 0 and "wang\tguard" in out, out

    # Bad input is refused by the hub's own schema, with the exit code of bad input.
    code, out = await ecogate("ledger", "query", "-c", str(config_dir), "--page-size", "0")
    assert code == 2 and "page_size" in out, out

    # The local administrator may call what a person may call, never what is the hub's own.
    async with asyncio.timeout(60):
        door = await RemoteDoor.async_connect(hub)
        try:
            await door.async_hello("a script on the hub's machine")
            with pytest.raises(CallRefused) as refused:
                await door.call("ledger", "record_passage", {"plate": "冀B00001"})
            assert refused.value.kind == "unauthorized" and "the hub's own" in str(refused.value)
            assert (await door.call("ledger", "query", {}))["total"] == 0
        finally:
            await door.async_close()


async def test_a_hub_does_not_start_while_a_command_holds_the_data_directory(make_hub, tmp_path) -> None:
    config_dir = write_config(tmp_path / "plant", PLANT)
    fifo = tmp_path / "slow.xlsx"
    os.mkfifo(fifo)  # the command waits on this file while it owns the data directory
    command = asyncio.create_task(
        ecogate("vehicles", "import", "transport", str(fifo), "-c", str(config_dir))
    )
    lock = config_dir / "data" / "ecogate.lock"
    async with asyncio.timeout(60):
        while b'"kind": "cli"' not in (lock.read_bytes() if lock.exists() else b""):  # noqa: ASYNC110
            await asyncio.sleep(0.05)

    with pytest.raises(DataDirBusy) as refused:
        await make_hub(PLANT, config_dir=config_dir)
    message = str(refused.value)
    assert "in use by the command" in message and "ecogate vehicles import" in message, message
    code, out = await ecogate("run", "-c", str(config_dir))  # the operator's way, a process of its own
    assert code == 2 and "Hub not started" in out and "in use by the command" in out, out

    written = asyncio.get_running_loop().run_in_executor(None, fifo.write_bytes, register_file(8))
    await asyncio.wait_for(written, 60)
    code, out = await command
    assert code == 0 and "新增 created 1" in out, out
    hub = await make_hub(PLANT, config_dir=config_dir)  # the command is done: the hub starts
    assert await hub.services.async_call("vehicles", "lookup", {"plate": "冀B00008"}) is not None


async def test_two_hubs_never_share_a_data_directory(make_hub, tmp_path) -> None:
    config_dir = write_config(tmp_path / "plant", PLANT)
    await make_hub(PLANT, config_dir=config_dir)
    with pytest.raises(DataDirBusy) as refused:
        await make_hub(PLANT, config_dir=config_dir)
    assert "in use by a running hub" in str(refused.value)
    code, out = await ecogate("run", "-c", str(config_dir))
    assert code == 2 and "in use by a running hub" in out, out


async def backed_up_then_refused(hub, config_dir: Path, tmp_path: Path) -> tuple[list[dict], Path]:  # type: ignore[no-untyped-def, type-arg]
    """Three passages, a backup through the running hub, a restore it refuses, a fourth passage, a stop:
    (the passages backed up, the backup folder)."""
    kept = [passage(n) for n in range(3)]
    for item in kept:
        await hub.services.async_call("ledger", "record_passage", item)
    code, out = await ecogate("ledger", "backup", "-c", str(config_dir), "--to", str(tmp_path / "backups"))
    assert code == 0, out
    folder = Path(out.split("backup written to ")[1].split(" (")[0])
    code, out = await ecogate("ledger", "restore", str(folder), "-c", str(config_dir), "--force")
    assert code == 1 and "stop the hub first" in out, out
    await hub.services.async_call("ledger", "record_passage", passage(9))  # the hub went on meanwhile
    await hub.async_stop()
    return kept, folder


async def restored(make_hub, text: str, config_dir: Path, kept: list[dict]) -> object:  # type: ignore[no-untyped-def, type-arg]
    """The hub started again on the restored ledger: the backed-up passages, a chain that verifies."""
    hub = await make_hub(text, config_dir=config_dir)
    result = await hub.services.async_call("ledger", "query", {"sort": "seq"})
    assert [i["passage_id"] for i in result["items"]] == [p["passage_id"] for p in kept]
    assert (await hub.services.async_call("ledger", "verify", {}))["ok"]
    return hub


async def test_restore_waits_for_a_stopped_hub_and_swaps_only_a_verified_copy(make_hub, tmp_path) -> None:
    config_dir = write_config(tmp_path / "plant", PLANT)
    kept, folder = await backed_up_then_refused(
        await make_hub(PLANT, config_dir=config_dir), config_dir, tmp_path
    )
    db = config_dir / "data" / "ecogate.db"
    code, out = await ecogate("ledger", "verify", "-c", str(config_dir))  # the plant's own ledger is fine
    assert code == 0 and "record: ok, 4 rows" in out, out
    later = db.read_bytes()

    # A copy that fails its check replaces nothing.
    broken = tmp_path / "broken"
    await asyncio.get_running_loop().run_in_executor(None, shutil.copytree, folder, broken)
    await _tamper(broken / "ecogate.db")
    code, out = await ecogate("ledger", "restore", str(broken), "-c", str(config_dir), "--force")
    assert code == 1 and "failed verification" in out and "unchanged" in out, out
    assert hashlib.sha256(db.read_bytes()).digest() == hashlib.sha256(later).digest()

    code, out = await ecogate("ledger", "restore", str(folder), "-c", str(config_dir), "--force")
    assert code == 0 and "record: ok, 3 rows" in out and "校验通过" in out, out
    replaced = [p for p in (config_dir / "data").iterdir() if p.name.startswith("replaced-")]
    assert len(replaced) == 1 and (replaced[0] / "ecogate.db").is_file(), out
    assert not [p for p in (config_dir / "data").iterdir() if p.name.startswith("restore-")]

    hub = await restored(make_hub, PLANT, config_dir, kept)
    commands = [r["detail"]["command"] for r in await audit(hub, action="cli.command")]
    assert [c for c in commands if c.startswith("ecogate ledger restore")], commands  # audited in the copy


async def _tamper(path: Path) -> None:
    import sqlite3

    def change() -> None:
        with sqlite3.connect(path) as conn:
            conn.execute("UPDATE ledger_record SET plate = '冀B77777' WHERE seq = 2")

    await asyncio.get_running_loop().run_in_executor(None, change)


@pytest.mark.parametrize("method", ["pg_dump", "logical"])
async def test_restore_on_postgresql_waits_for_a_stopped_hub(
    make_hub, tmp_path, database, method, monkeypatch
) -> None:
    if not database:
        pytest.skip("the SQLite restore is the test above")
    if method == "pg_dump" and shutil.which("pg_dump") is None:
        pytest.skip("PostgreSQL's client tools are not installed here")
    if method == "logical":  # a plant PC without pg_dump and pg_restore: the tables, a chunk at a time
        monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
        monkeypatch.setattr(backup, "CHUNK_ROWS", 2)  # the three passages and their audit rows span chunks
    text = f"hub:\n  name: 一个数据目录\n{database}ledger:\n"
    config_dir = write_config(tmp_path / "plant", text)
    kept, folder = await backed_up_then_refused(
        await make_hub(text, config_dir=config_dir), config_dir, tmp_path
    )
    code, out = await ecogate("ledger", "restore", str(folder), "-c", str(config_dir), "--force")
    assert code == 0 and f"restored {method} backup" in out and "record: ok, 3 rows" in out, out
    assert "校验通过" in out, out
    await restored(make_hub, text, config_dir, kept)


async def test_a_command_reaches_a_hub_whose_socket_path_is_too_long(make_hub, tmp_path) -> None:
    config_dir = write_config(tmp_path / ("很长的目录名" * 4) / ("x" * 60) / "plant", PLANT)
    assert len(str(config_dir / "data" / "hub.sock").encode()) > 108
    hub = await make_hub(PLANT, config_dir=config_dir)
    code, out = await ecogate(
        "user", "-c", str(config_dir), "add", "li", "--roles", "officer", "--password-stdin",
        stdin=b"register-keeper-2026\n",
    )  # fmt: skip
    assert code == 0 and "added li (officer)" in out, out
    assert hub.auth.by_name("li") is not None


PEER = """
import json, socket, sys
sock = socket.socket(socket.AF_UNIX)
try:
    sock.connect(sys.argv[1])
except PermissionError:
    print("permission denied"); raise SystemExit
sock.sendall(json.dumps({"command": "ecogate user list"}).encode() + b"\\n")
print(sock.makefile().readline())
"""


SYSTEM_PYTHON = "/usr/bin/python3"  # one that another user may run (the venv's may live under /root)


def shared_folder() -> Path:
    base = Path(tempfile.mkdtemp(prefix="ecogate-peer-"))  # a folder other users may walk through
    base.chmod(0o755)
    (write_config(base / "plant", PLANT)).chmod(0o755)
    return base


@pytest.mark.skipif(
    os.getuid() != 0 or not os.path.exists(SYSTEM_PYTHON), reason="needs root to act as another user"
)
async def test_only_root_and_the_hubs_own_user_may_command_it(make_hub) -> None:
    base = await asyncio.get_running_loop().run_in_executor(None, shared_folder)
    try:
        config_dir = base / "plant"
        hub = await make_hub(PLANT, config_dir=config_dir)
        sock = hub.data_dir / "hub.sock"
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600

        async def as_nobody() -> str:
            proc = await asyncio.create_subprocess_exec(
                SYSTEM_PYTHON, "-c", PEER, str(sock), user=65534, group=65534, cwd="/",
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            )  # fmt: skip
            out, _ = await asyncio.wait_for(proc.communicate(), 60)
            return out.decode()

        assert "permission denied" in await as_nobody()
        sock.chmod(0o666)  # a careless chmod: the hub still asks who is calling
        answer = await as_nobody()
        assert '"ok": false' in answer and "only root or the hub's own user" in answer, answer
    finally:
        shutil.rmtree(base, ignore_errors=True)
