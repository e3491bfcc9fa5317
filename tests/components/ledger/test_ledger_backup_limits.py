"""Backups with limits (issue 20): one at a time, a free-space check first, only the newest kept, and
photos already in the previous backup linked instead of copied again."""

from __future__ import annotations

import asyncio
from collections import namedtuple
from pathlib import Path
from typing import Any

import pytest

from hub.components.ledger import backup as backup_module
from hub.core import Context, HubError
from tests.components.ledger.conftest import passage


async def record(hub: Any, numbers: range) -> None:
    for n in numbers:
        await hub.services.async_call("ledger", "record_passage", passage(n))


async def backup(hub: Any) -> dict[str, Any]:
    return await hub.services.async_call("ledger", "backup", {}, Context())


def folders(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir()) if root.is_dir() else []


def photo_files(folder: Path) -> dict[Path, Path]:
    return {p.relative_to(folder): p for p in folder.rglob("*.jpg")}


async def test_concurrent_backups_run_one_at_a_time(ledger_hub, tmp_path) -> None:
    root = tmp_path / "backups"
    hub = await ledger_hub(f"backup_dir: {root}")
    await record(hub, range(20))
    results = await asyncio.gather(*(backup(hub) for _ in range(4)), return_exceptions=True)
    done = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, HubError)]
    assert len(done) == 1 and len(refused) == 3, results
    assert all("a backup is running" in str(err) for err in refused)
    assert folders(root) == [Path(done[0]["path"]).name]
    # once it has finished, the next one runs
    assert Path((await backup(hub))["path"]).name in folders(root)


async def test_a_backup_is_refused_before_writing_when_the_target_lacks_room(
    ledger_hub, tmp_path, monkeypatch
) -> None:
    root = tmp_path / "backups"
    hub = await ledger_hub(f"backup_dir: {root}")
    await record(hub, range(5))
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(backup_module, "disk_usage", lambda path: usage(2**30, 2**30 - 2**20, 2**20))
    with pytest.raises(HubError, match="not enough room") as caught:
        await backup(hub)
    assert "1 MiB are free" in str(caught.value)
    assert folders(root) == []  # nothing half-written left behind


async def test_only_the_newest_backups_are_kept(ledger_hub, tmp_path) -> None:
    root = tmp_path / "backups"
    hub = await ledger_hub(f"backup_dir: {root}\nbackup_keep: 2")
    await record(hub, range(2))
    made = []
    for n in range(4):
        made.append(await backup(hub))
        await record(hub, range(10 + n, 11 + n))
    assert folders(root) == sorted(Path(m["path"]).name for m in made[-2:])
    assert made[-1]["removed"] == [Path(made[1]["path"]).name]


async def test_photos_already_backed_up_are_linked_not_copied(ledger_hub, tmp_path) -> None:
    root = tmp_path / "backups"
    hub = await ledger_hub(f"backup_dir: {root}\nbackup_keep: 2")
    await record(hub, range(3))
    first = Path((await backup(hub))["path"])
    await record(hub, range(3, 4))  # one more passage: two new photos
    second = await backup(hub)
    assert second["linked_from"] == first.name and second["photos"] == 8
    photos = photo_files(Path(second["path"]))
    assert len(photos) == 8
    shared = [rel for rel, p in photos.items() if p.stat().st_nlink == 2]
    assert len(shared) == 6  # the first backup's six photos, each stored once for both
    assert all((first / rel).samefile(photos[rel]) for rel in shared)

    # the first backup pruned, the second still holds every photo
    third = await backup(hub)
    assert third["removed"] == [first.name] and first.name not in folders(root)
    assert all(p.stat().st_nlink == 2 and p.read_bytes().startswith(b"\xff\xd8") for p in photos.values())
