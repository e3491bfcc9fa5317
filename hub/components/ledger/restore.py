"""`ecogate ledger restore`: put a backup back while the hub is stopped, proven before it replaces anything.

The command takes the data directory's lock (hub/core/ownership.py), so it refuses to run beside a
hub, and no hub starts while it works. A SQLite backup is restored beside the plant's database (a
`restore-<time>` folder in the data directory, with its photos and chain heads), verified there by
the ledger's own `verify` service, and only then swapped in; the database it replaces is kept in a
`replaced-<time>` folder. A copy that fails verification changes nothing.

PostgreSQL backups are restored in place (pg_restore or the logical copy) under the same lock, then
verified; the chain heads and photos go in only after the check. (A side database would need the
right to create and rename databases, which a plant's account need not have.)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from hub.core import ConfigError, HubError
from hub.core.config import CoreConfig, load_configuration
from hub.core.ownership import KIND_CLI, KIND_HUB, DataDirBusy, DataDirLock
from hub.core.storage import Database, default_db_url, sqlite_path

from .backup import (
    async_logical_restore,
    async_pg_restore,
    copy_evidence,
    read_manifest,
    sqlite_snapshot,
)
from .const import EVIDENCE_DIR, HEAD_FILE
from .verify import print_verdict

CHAINS = ("record", "audit")
SQLITE_SIDE_FILES = ("", "-wal", "-shm")


def restore(args: argparse.Namespace) -> int:
    config_dir = Path(args.config).resolve()
    source = Path(args.source).resolve()
    try:
        core, _ = load_configuration(config_dir)
    except ConfigError as err:
        print(f"configuration error:\n{err}", file=sys.stderr)
        return 2
    data_dir = (config_dir / core.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = DataDirLock(data_dir)
    try:
        lock.acquire(KIND_CLI)
    except DataDirBusy as busy:
        if busy.holder is not None and busy.holder.kind == KIND_HUB:
            print(
                f"error: 请先停止 hub, stop the hub first: restore replaces its database. {busy}",
                file=sys.stderr,
            )
        else:
            print(f"error: {busy}", file=sys.stderr)
        return 1
    try:
        return asyncio.run(_async_restore(config_dir, data_dir, core, source, force=args.force))
    except HubError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        lock.release()


async def _async_restore(
    config_dir: Path, data_dir: Path, core: CoreConfig, source: Path, *, force: bool
) -> int:
    db_url = core.db_url or default_db_url(data_dir)
    dialect = Database(db_url).dialect
    manifest = read_manifest(source)
    if manifest["dialect"] != dialect:
        raise HubError(f"the backup is of a {manifest['dialect']} database; this plant uses {dialect}")
    what = f"{manifest['method']} backup of {manifest['created_at']}"
    if manifest["method"] != "sqlite":
        return await _async_restore_in_place(config_dir, data_dir, db_url, source, manifest, force=force)

    target = sqlite_path(db_url)
    if target.exists() and not force:
        raise HubError(f"{target} exists; use --force to replace it (the replaced database is kept)")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    side = data_dir / f"restore-{stamp}"
    try:
        photos = await asyncio.to_thread(_build_side, source, side, data_dir, manifest)
        print(f"restoring {what} ({photos} photos) into {side}")
        ok = await _async_verify(config_dir, side, default_db_url(side))
        if not ok:
            raise HubError(f"the restored copy failed verification; {target} is unchanged")
        kept = await asyncio.to_thread(_swap_in, side, target, data_dir, data_dir / f"replaced-{stamp}")
    finally:
        await asyncio.to_thread(shutil.rmtree, side, True)
    print(f"restored {what} into {target}")
    if kept is not None:
        print(f"the database it replaced is kept in {kept}; delete that folder when it is no longer needed")
    return 0


def _build_side(
    source: Path, side: Path, data_dir: Path, manifest: dict[str, Any], *, database: bool = True
) -> int:
    """Blocking: the backup as a data directory of its own: database, chain heads, photos (hard-linked
    from the plant's photos where it has them, copied from the backup otherwise)."""
    side.mkdir()
    if database:
        sqlite_snapshot(source / "ecogate.db", side / "ecogate.db")
    _write_heads(side, manifest)
    return copy_evidence(source / EVIDENCE_DIR, side / EVIDENCE_DIR, data_dir / EVIDENCE_DIR)


async def _async_verify(config_dir: Path, data_dir: Path, db_url: str) -> bool:
    """The ledger's `verify` service on a database (the restore is itself audited in it)."""
    from hub.core import Hub
    from hub.core.control_client import LocalDoor

    hub = Hub(config_dir, data_dir=data_dir, db_url=db_url)
    await hub.async_open_storage(setup=("ledger",))
    door = LocalDoor(hub)
    try:
        if not hub.services.has_service("ledger", "verify"):
            raise HubError(f"the ledger could not be opened on the restored copy: {hub.setup_errors}")
        await door.async_hello(" ".join(["ecogate", *sys.argv[1:]]))
        result = await door.call("ledger", "verify", {"evidence": True})
    finally:
        await door.async_close()
    print_verdict(result, as_json=False)
    return bool(result["ok"])


def _swap_in(side: Path, target: Path, data_dir: Path, kept: Path) -> Path | None:
    """Blocking: the verified copy takes the database's place; the old one moves to `kept`."""
    old = [(target.with_name(target.name + s), kept / (target.name + s)) for s in SQLITE_SIDE_FILES]
    old += [(data_dir / HEAD_FILE.format(chain=c), kept / HEAD_FILE.format(chain=c)) for c in CHAINS]
    moved = [(a, b) for a, b in old if a.exists()]
    if moved:
        kept.mkdir()
    for here, there in moved:
        os.replace(here, there)
    try:
        for suffix in SQLITE_SIDE_FILES:
            if (new := side / ("ecogate.db" + suffix)).exists():
                os.replace(new, target.with_name(target.name + suffix))
    except OSError:
        for here, there in moved:  # the old database goes back where it was
            os.replace(there, here)
        raise
    _move_heads_and_photos(side, data_dir)
    return kept if moved else None


def _move_heads_and_photos(side: Path, data_dir: Path) -> None:
    for chain in CHAINS:
        if (head := side / HEAD_FILE.format(chain=chain)).exists():
            os.replace(head, data_dir / HEAD_FILE.format(chain=chain))
    _merge_photos(side / EVIDENCE_DIR, data_dir / EVIDENCE_DIR)


def _merge_photos(source: Path, target: Path) -> None:
    """Photos are named by their hash: the ones the plant lacks are moved in, none is replaced."""
    for path in source.rglob("*") if source.is_dir() else ():
        if path.is_file():
            dest = target / path.relative_to(source)
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(path, dest)


async def _async_restore_in_place(
    config_dir: Path, data_dir: Path, db_url: str, source: Path, manifest: dict[str, Any], *, force: bool
) -> int:
    """PostgreSQL: the database is restored where it is, then verified (the heads and photos are put
    beside it only after the check, as for SQLite)."""
    from hub.core import Hub

    stamp = time.strftime("%Y%m%d-%H%M%S")
    side = data_dir / f"restore-{stamp}"
    try:
        photos = await asyncio.to_thread(_build_side, source, side, data_dir, manifest, database=False)
        if manifest["method"] == "pg_dump":
            await async_pg_restore(source, db_url)
        else:
            hub = Hub(config_dir, data_dir=side, db_url=db_url)
            await hub.async_open_storage()
            try:
                assert hub.db is not None
                counts = await async_logical_restore(hub.db.connection, hub.db.dialect, source, force=force)
            finally:
                await hub.async_stop()
            print(f"rows restored: {counts}")
        print(f"restored {manifest['method']} backup of {manifest['created_at']} ({photos} photos)")
        ok = await _async_verify(config_dir, side, db_url)
        await asyncio.to_thread(_move_heads_and_photos, side, data_dir)
    finally:
        await asyncio.to_thread(shutil.rmtree, side, True)
    return 0 if ok else 1


def _write_heads(data_dir: Path, manifest: dict[str, Any]) -> None:
    # The heads kept beside the database describe the database that was replaced; the backup's own
    # heads take their place, so that verify checks the restored chain against what was backed up.
    for chain, head in (manifest.get("heads") or {}).items():
        path = data_dir / HEAD_FILE.format(chain=chain)
        if head:
            path.write_text(json.dumps(head), encoding="utf-8")
        else:
            path.unlink(missing_ok=True)
