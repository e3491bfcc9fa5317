"""Online backup and restore of the ledger: database plus evidence files, while the hub runs.

SQLite: the backup API copies a consistent snapshot in one step (WAL lets the hub keep writing).
PostgreSQL: `pg_dump` (custom format) when the client is installed, else a logical copy of the ledger's
tables taken in one REPEATABLE READ transaction, with the photos not filed yet written out as files.
Photos are immutable content-addressed files, so they are copied after the database snapshot: every
photo the snapshot refers to is filed by then or pending in the snapshot itself.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hub.core import HubError
from hub.core.storage import sqlite_path

from .const import EVIDENCE_DIR
from .evidence import EvidenceStore

LEDGER_TABLES = ("ledger_record", "ledger_audit", "ledger_checkpoint", "ledger_evidence")
TABLE_KEYS = {
    "ledger_record": "seq",
    "ledger_audit": "seq",
    "ledger_checkpoint": "id",
    "ledger_evidence": "sha256",
}
MANIFEST = "manifest.json"


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


def copy_evidence(source: Path, target: Path) -> int:
    """Blocking: copy photo files that `target` lacks; returns how many were copied."""
    copied = 0
    if not source.is_dir():
        return 0
    for path in source.rglob("*.jpg"):
        dest = target / path.relative_to(source)
        if dest.is_file() and dest.stat().st_size == path.stat().st_size:
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
        copied += 1
    return copied


async def async_logical_dump(dialect: str, target: Path, evidence: Path) -> dict[str, int]:
    """The ledger's tables as JSON lines, and its pending photos as files, from one snapshot."""
    from tortoise.transactions import in_transaction

    tables: dict[str, list[dict[str, Any]]] = {}
    async with in_transaction() as tx:
        if dialect == "postgres":
            await tx.execute_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        for table in LEDGER_TABLES:
            tables[table] = await tx.execute_query_dict(
                f'SELECT * FROM "{table}" ORDER BY "{TABLE_KEYS[table]}"'
            )
        _, pending = await tx.execute_query("SELECT sha256, content FROM ledger_evidence_pending")
    await asyncio.to_thread(_write_tables, target, tables)
    photos = [(str(r[0]), bytes(r[1])) for r in pending]
    if photos:
        await asyncio.to_thread(EvidenceStore(evidence).put_many, photos)
    return {table: len(rows) for table, rows in tables.items()}


def _write_tables(target: Path, tables: dict[str, list[dict[str, Any]]]) -> None:
    target.mkdir(parents=True, exist_ok=True)
    for table, rows in tables.items():
        lines = "".join(json.dumps(dict(r), ensure_ascii=False, default=str) + "\n" for r in rows)
        (target / f"{table}.jsonl").write_text(lines, encoding="utf-8")


async def async_pg_dump(db_url: str, target: Path) -> None:
    proc = await asyncio.create_subprocess_exec(
        "pg_dump", "--format=custom", "--no-owner", f"--file={target}", f"--dbname={pg_uri(db_url)}",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise HubError(f"pg_dump failed: {err.decode(errors='replace').strip()}")


async def async_backup(hub: Any, backup_root: Path, heads: dict[str, Any]) -> dict[str, Any]:
    """Write one backup folder under `backup_root`; returns its manifest."""
    stamp = hub.now().strftime("%Y%m%d-%H%M%S")
    folder = backup_root / f"ledger-{stamp}"
    n = 1
    while folder.exists():
        n += 1
        folder = backup_root / f"ledger-{stamp}-{n}"
    folder.mkdir(parents=True)
    db_url = hub.db.db_url
    if hub.db.dialect == "sqlite":
        method = "sqlite"
        await hub.async_add_executor_job(sqlite_snapshot, sqlite_path(db_url), folder / "ecogate.db")
    elif shutil.which("pg_dump"):
        method = "pg_dump"
        await async_pg_dump(db_url, folder / "database.dump")
    else:
        method = "logical"
        await async_logical_dump(hub.db.dialect, folder / "tables", folder / EVIDENCE_DIR)
    photos = await hub.async_add_executor_job(
        copy_evidence, hub.data_dir / EVIDENCE_DIR, folder / EVIDENCE_DIR
    )
    manifest = {
        "format": "ecogate-ledger-backup-1",
        "method": method,
        "dialect": hub.db.dialect,
        "created_at": hub.now().isoformat(),
        "photos": photos,
        "heads": heads,
        "path": str(folder),
    }
    (folder / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    return manifest


def read_manifest(folder: Path) -> dict[str, Any]:
    try:
        return json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise HubError(f"{folder} is not a ledger backup: {err}") from None


def restore_sqlite(folder: Path, target: Path, *, force: bool) -> None:
    """Blocking: put a SQLite backup in place of the plant's database (the hub must be stopped)."""
    if target.exists() and not force:
        raise HubError(f"{target} exists; stop the hub and use --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    sqlite_snapshot(folder / "ecogate.db", target)


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
            path = folder / "tables" / f"{table}.jsonl"
            items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
            if items:
                columns = tuple(items[0])
                await tx.execute_many(
                    insert_sql(dialect, table, columns), [[i[c] for c in columns] for i in items]
                )
            counts[table] = len(items)
    return counts
