"""`ecogate ledger backup|verify|restore|query` as a plant engineer runs them, against a running hub."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import sys
from pathlib import Path

from hub.core import Context
from tests.components.ledger.conftest import passage
from tests.conftest import REPO, write_config


async def ecogate(*args: str) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "hub", *args, cwd=REPO,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    out, _ = await asyncio.wait_for(proc.communicate(), 120)
    return proc.returncode, out.decode("utf-8", "replace")


async def test_backup_while_running_then_restore_after_tampering(make_hub, tmp_path) -> None:
    config_dir = write_config(tmp_path / "plant", "hub:\n  name: 备份测试\nledger:\n")
    hub = await make_hub(config_dir=config_dir, text="hub:\n  name: 备份测试\nledger:\n")
    kept = [passage(n, reason_text="国六柴油货车，准予入厂") for n in range(5)]
    for item in kept:
        await hub.services.async_call("ledger", "record_passage", item)
    release = {"passage_id": kept[0]["passage_id"], "kind": "release", "data": {}, "reason": "抢险救灾"}
    await hub.services.async_call("ledger", "record_followup", release, Context())

    code, out = await ecogate("ledger", "backup", "-c", str(config_dir), "--to", str(tmp_path / "backups"))
    assert code == 0, out
    folder = Path(out.split("backup written to ")[1].split(" (")[0])
    assert (folder / "ecogate.db").is_file() and len(list((folder / "evidence").rglob("*.jpg"))) == 10
    await hub.services.async_call("ledger", "record_passage", passage(99))  # after the backup
    await hub.async_stop()

    db = config_dir / "data" / "ecogate.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE ledger_record SET decision = 'allow', plate = '冀B77777' WHERE seq = 2")
    code, out = await ecogate("ledger", "verify", "-c", str(config_dir))
    assert code == 1 and "record: FAILED at seq 2: content does not match its hash" in out, out

    code, out = await ecogate("ledger", "restore", str(folder), "-c", str(config_dir))
    assert code == 1 and "--force" in out, out
    code, out = await ecogate("ledger", "restore", str(folder), "-c", str(config_dir), "--force")
    assert code == 0 and "record: ok, 6 rows" in out and "校验通过" in out, out

    code, out = await ecogate("ledger", "query", "-c", str(config_dir), "--json", "--sort", "seq")
    assert code == 0, out
    result = json.loads(out)
    assert [i["passage_id"] for i in result["items"]] == [p["passage_id"] for p in kept]
    assert result["items"][1]["plate"] == "冀B00001" and result["items"][0]["released"] is True
    assert result["items"][0]["reason_text"] == "国六柴油货车，准予入厂"
    code, out = await ecogate("ledger", "query", "-c", str(config_dir), "--released", "--contains", "B0000")
    assert code == 0 and "共 1 条" in out and "特批放行" in out, out
    code, out = await ecogate("ledger", "query", "-c", str(config_dir), "--audit", "--action", "ledger.")
    assert code == 0 and "ledger.query" in out and "cli" in out, out


async def test_verify_of_a_plant_without_ledger_says_so(tmp_path) -> None:
    config_dir = write_config(tmp_path / "plant", "hub:\n  name: 无台账\n")
    code, out = await ecogate("ledger", "verify", "-c", str(config_dir))
    assert code == 1 and "ledger is not configured" in out, out
