"""`ecogate ledger restore`: put a backup back, then prove it with verify (the hub must be stopped)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hub.core import HubError
from hub.core.config import load_configuration
from hub.core.storage import Database, default_db_url, sqlite_path

from .backup import (
    async_logical_restore,
    async_pg_restore,
    copy_evidence,
    read_manifest,
    restore_sqlite,
)
from .const import EVIDENCE_DIR, HEAD_FILE


def restore(args: argparse.Namespace, with_storage: Callable[..., int]) -> int:
    config_dir = Path(args.config).resolve()
    source = Path(args.source).resolve()
    try:
        core, _ = load_configuration(config_dir)
        data_dir = (config_dir / core.data_dir).resolve()
        db_url = core.db_url or default_db_url(data_dir)
        dialect = Database(db_url).dialect
        manifest = read_manifest(source)
        if manifest["dialect"] != dialect:
            raise HubError(f"the backup is of a {manifest['dialect']} database; this plant uses {dialect}")
        if manifest["method"] == "sqlite":
            restore_sqlite(source, sqlite_path(db_url), force=args.force)
        elif manifest["method"] == "pg_dump":
            asyncio.run(async_pg_restore(source, db_url))
    except HubError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    photos = copy_evidence(source / EVIDENCE_DIR, data_dir / EVIDENCE_DIR)
    print(f"restored {manifest['method']} backup of {manifest['created_at']} ({photos} photos copied)")

    async def finish(hub: Any) -> int:
        from .cli import _verify, _with_ledger

        if manifest["method"] == "logical":
            counts = await async_logical_restore(hub.db.connection, dialect, source, force=args.force)
            print(f"rows restored: {counts}")
        _write_heads(hub.data_dir, manifest)
        args.no_evidence, args.json = False, False
        return await _with_ledger(hub, args, _verify)

    return with_storage(str(config_dir), finish)


def _write_heads(data_dir: Path, manifest: dict[str, Any]) -> None:
    # The heads kept beside the database describe the database that was replaced; the backup's own
    # heads take their place, so that verify checks the restored chain against what was backed up.
    for chain, head in (manifest.get("heads") or {}).items():
        path = data_dir / HEAD_FILE.format(chain=chain)
        if head:
            path.write_text(json.dumps(head), encoding="utf-8")
        else:
            path.unlink(missing_ok=True)
