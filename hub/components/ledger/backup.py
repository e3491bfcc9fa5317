"""Online backup and restore of the ledger: database plus evidence files, while the hub runs.

SQLite: the backup API copies a consistent snapshot in one step (WAL lets the hub keep writing).
PostgreSQL: `pg_dump` (custom format) when the client is installed, else a logical copy of the ledger's
tables taken in one REPEATABLE READ transaction, with the photos not filed yet written out as files.
Photos are immutable content-addressed files, so they are copied after the database snapshot: every
photo the snapshot refers to is filed by then or pending in the snapshot itself.

Limits, since a backup copies everything: one backup at a time per plant (a lock file beside the
database, also against the command line), a free-space check before starting, only the newest
`backup_keep` backups kept in the backup folder, and photos already in the previous backup hard-linked
rather than copied again (a link costs no space; deleting an old backup leaves the others whole).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import itertools
import json
import os
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from shutil import disk_usage
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hub.core import HubError
from hub.core.disk import async_require_room
from hub.core.storage import sqlite_path

from .const import EVIDENCE_DIR

LEDGER_TABLES = ("ledger_record", "ledger_audit", "ledger_checkpoint", "ledger_evidence")
TABLE_KEYS = {
    "ledger_record": "seq",
    "ledger_audit": "seq",
    "ledger_checkpoint": "id",
    "ledger_evidence": "sha256",
}
MANIFEST = "manifest.json"
DEFAULT_KEEP = 7
LOCK_FILE = "backup.lock"
PARTIAL = ".partial"  # a backup being written; renamed when complete
MARGIN_BYTES = 64 * 1024 * 1024  # room left on the target beyond the backup itself, at least
MARGIN_SHARE = 0.05  # and at least this share of the backup
_FOLDER = re.compile(r"^ledger-(\d{8}-\d{6})(?:-(\d+))?$")


def pg_uri(db_url: str) -> str:
    """tortoise's `postgres://` (or `asyncpg://`) URL as libpq wants it."""
    parts = urlsplit(db_url)
    return urlunsplit(("postgresql", parts.netloc, parts.path, "", ""))


def sqlite_snapshot(source: Path, target: Path) -> None:
    """Blocking: a consistent copy of a live SQLite database (one backup step under one read lock)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=-1)
    finally:
        dst.close()
        src.close()


def copy_evidence(source: Path, target: Path, previous: Path | None = None) -> int:
    """Blocking: copy photo files that `target` lacks; returns how many were copied or linked.

    A photo that `previous` (an earlier backup's evidence folder) holds is hard-linked from there.
    """
    copied = 0
    if not source.is_dir():
        return 0
    for path in source.rglob("*.jpg"):
        relative = path.relative_to(source)
        dest = target / relative
        size = path.stat().st_size
        if dest.is_file() and dest.stat().st_size == size:
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        if previous is None or not _link(previous / relative, dest, size):
            shutil.copy2(path, dest)
        copied += 1
    return copied


def _link(earlier: Path, dest: Path, size: int) -> bool:
    try:
        if earlier.stat().st_size != size:
            return False
        os.link(earlier, dest)
    except OSError:  # not there, another disk, or a file system without links: copy instead
        return False
    return True


def backup_folders(root: Path) -> list[Path]:
    """The complete backups in `root`, oldest first."""
    if not root.is_dir():
        return []
    found = [f for f in root.iterdir() if _FOLDER.match(f.name) and (f / MANIFEST).is_file()]
    return sorted(found, key=_order)


def _order(folder: Path) -> tuple[str, int]:
    match = _FOLDER.match(folder.name)
    assert match is not None
    return match[1], int(match[2] or 1)


@contextlib.contextmanager
def backup_lock(data_dir: Path) -> Iterator[None]:
    """One backup at a time for this plant, whichever process (hub or command line) starts it."""
    data_dir.mkdir(parents=True, exist_ok=True)
    with open(data_dir / LOCK_FILE, "a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as err:
            if err.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            raise HubError("已有备份正在进行 a backup is running; try again when it has finished") from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def space_needed(data_dir: Path, db_bytes: int, previous: Path | None) -> int:
    """Blocking: what a backup will write: the database and the photos the previous backup lacks."""
    photos = 0
    source = data_dir / EVIDENCE_DIR
    if source.is_dir():
        for path in source.rglob("*.jpg"):
            size = path.stat().st_size
            earlier = None if previous is None else previous / EVIDENCE_DIR / path.relative_to(source)
            if earlier is None or not earlier.is_file() or earlier.stat().st_size != size:
                photos += size
    return db_bytes + photos


def check_space(root: Path, needed: int) -> None:
    free = disk_usage(root).free
    margin = max(MARGIN_BYTES, int(needed * MARGIN_SHARE))
    if free < needed + margin:
        raise HubError(
            f"备份空间不足 not enough room in {root}: the backup needs {_mib(needed)} MiB plus "
            f"{_mib(margin)} MiB to spare, {_mib(free)} MiB are free; free space or choose another folder"
        )


def _mib(size: int) -> int:
    return -(-size // 2**20)


def prune_backups(root: Path, keep: int, made: Path) -> list[str]:
    """Blocking: delete all but the newest `keep` backups and leftovers of interrupted ones.

    The backup just `made` stays whatever its name says (a clock set back names it older).
    """
    removed = []
    older = [f for f in backup_folders(root) if f != made]
    for folder in [*older[: max(0, len(older) - (keep - 1))], *root.glob(f"ledger-*{PARTIAL}")]:
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name)
    return removed


async def _async_db_bytes(hub: Any) -> int:
    if hub.db.dialect == "sqlite":
        path = sqlite_path(hub.db.db_url)
        return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    try:
        _, rows = await hub.db.connection.execute_query("SELECT pg_database_size(current_database())")
        return int(rows[0][0])
    except Exception:  # not PostgreSQL, or not allowed: the photos and the margin are checked still
        return 0


# Rows a logical dump or restore holds at a time: two years of a busy plant are millions of rows.
CHUNK_ROWS = 5000


async def async_logical_dump(dialect: str, target: Path) -> dict[str, int]:
    """The ledger's tables as JSON lines, from one snapshot (the photos are files already), read and
    written a chunk at a time by each table's key."""
    from tortoise.transactions import in_transaction

    from .sql import for_dialect

    await asyncio.to_thread(target.mkdir, parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    async with in_transaction() as tx:
        if dialect == "postgres":
            await tx.execute_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for table in LEDGER_TABLES:
            key, path, after, counts[table] = TABLE_KEYS[table], target / f"{table}.jsonl", None, 0
            await asyncio.to_thread(path.write_bytes, b"")
            while True:
                where = "" if after is None else f'WHERE "{key}" > ? '
                sql = for_dialect(
                    dialect, f'SELECT * FROM "{table}" {where}ORDER BY "{key}" LIMIT {CHUNK_ROWS}'
                )
                rows = await tx.execute_query_dict(sql, [] if after is None else [after])
                if not rows:
                    break
                await asyncio.to_thread(_append_rows, path, rows)
                counts[table] += len(rows)
                after = rows[-1][key]
    return counts


def _append_rows(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("a", encoding="utf-8") as out:
        out.writelines(json.dumps(dict(r), ensure_ascii=False, default=str) + "\n" for r in rows)


async def async_pg_dump(db_url: str, target: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        "pg_dump", "--format=custom", "--no-owner", f"--file={target}", f"--dbname={pg_uri(db_url)}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise HubError(f"pg_dump failed: {err.decode(errors='replace').strip()}")


async def async_backup(
    hub: Any, backup_root: Path, heads: dict[str, Any], *, keep: int = DEFAULT_KEEP
) -> dict[str, Any]:
    """Write one backup folder under `backup_root`, keep the newest `keep`; returns its manifest.

    HubError, before anything is written, when a backup is running or the target lacks room.
    """
    with backup_lock(hub.data_dir):
        await async_require_room(hub, "备份 backup", backup_root)  # the ledger's reserve stays its own
        await hub.async_add_executor_job(lambda: backup_root.mkdir(parents=True, exist_ok=True))
        earlier = await hub.async_add_executor_job(backup_folders, backup_root)
        previous = earlier[-1] if earlier else None
        needed = await hub.async_add_executor_job(
            space_needed, hub.data_dir, await _async_db_bytes(hub), previous
        )
        await hub.async_add_executor_job(check_space, backup_root, needed)
        folder = _new_folder(backup_root, hub.now().strftime("%Y%m%d-%H%M%S"), earlier)
        partial = folder.with_name(folder.name + PARTIAL)
        try:
            await hub.async_add_executor_job(shutil.rmtree, partial, True)  # left by a crash
            manifest = await _async_write(hub, partial, folder, heads, previous)
            await hub.async_add_executor_job(partial.rename, folder)
        except BaseException:
            await asyncio.shield(
                hub.async_add_executor_job(lambda: shutil.rmtree(partial, ignore_errors=True))
            )
            raise
        manifest["removed"] = await hub.async_add_executor_job(prune_backups, backup_root, keep, folder)
        return manifest


def _new_folder(root: Path, stamp: str, earlier: list[Path]) -> Path:
    # Numbered after every backup of the same second, so that a name freed by pruning is not reused.
    taken = [_order(f)[1] for f in earlier if _order(f)[0] == stamp]
    return root / (f"ledger-{stamp}-{max(taken) + 1}" if taken else f"ledger-{stamp}")


async def _async_write(
    hub: Any, folder: Path, final: Path, heads: dict[str, Any], previous: Path | None
) -> dict[str, Any]:
    await hub.async_add_executor_job(folder.mkdir)
    db_url = hub.db.db_url
    if hub.db.dialect == "sqlite":
        method = "sqlite"
        await hub.async_add_executor_job(sqlite_snapshot, sqlite_path(db_url), folder / "ecogate.db")
    elif shutil.which("pg_dump"):
        method = "pg_dump"
        await async_pg_dump(db_url, folder / "database.dump")
    else:
        method = "logical"
        await async_logical_dump(hub.db.dialect, folder / "tables")
    photos = await hub.async_add_executor_job(
        copy_evidence,
        hub.data_dir / EVIDENCE_DIR,
        folder / EVIDENCE_DIR,
        None if previous is None else previous / EVIDENCE_DIR,
    )
    manifest = {
        "format": "ecogate-ledger-backup-1",
        "method": method,
        "dialect": hub.db.dialect,
        "created_at": hub.now().isoformat(),
        "photos": photos,
        "heads": heads,
        "path": str(final),
        "linked_from": None if previous is None else previous.name,
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise HubError(f"{folder} is not a ledger backup: {err}") from None


async def async_pg_restore(folder: Path, db_url: str) -> None:
    proc = await asyncio.create_subprocess_exec(
        "pg_restore", "--clean", "--if-exists", "--no-owner", f"--dbname={pg_uri(db_url)}",
        str(folder / "database.dump"), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise HubError(f"pg_restore failed: {err.decode(errors='replace').strip()}")


async def async_logical_restore(conn: Any, dialect: str, folder: Path, *, force: bool) -> dict[str, int]:
    from tortoise.transactions import in_transaction

    from .sql import insert_sql

    counts: dict[str, int] = {}
    async with in_transaction() as tx:
        _, rows = await tx.execute_query("SELECT count(*) FROM ledger_record")
        if int(rows[0][0]) and not force:
            raise HubError("the ledger is not empty; use --force to replace it")
        for table in LEDGER_TABLES:
            await tx.execute_query(f'DELETE FROM "{table}"')
            counts[table] = 0
            lines = await asyncio.to_thread(_open_lines, folder / "tables" / f"{table}.jsonl")
            try:
                while items := await asyncio.to_thread(_read_chunk, lines):
                    columns = tuple(items[0])
                    await tx.execute_many(
                        insert_sql(dialect, table, columns), [[i[c] for c in columns] for i in items]
                    )
                    counts[table] += len(items)
            finally:
                lines.close()
    return counts


def _open_lines(path: Path) -> Any:
    return path.open(encoding="utf-8")


def _read_chunk(lines: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in itertools.islice(lines, CHUNK_ROWS) if line.strip()]
