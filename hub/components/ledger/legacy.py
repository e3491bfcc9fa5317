"""Photos that releases before 2026-12 kept in the database (`ledger_evidence_pending`) until a
background job filed them: filed once, when the ledger starts, so the evidence store is the one home
of every photo that verify, backup, retention and the photo service look at.

An older hub filed everything at a clean stop and within minutes of each busy spell, so only a crash
(or a backup taken from a running hub) leaves photos here: a busy spell's worth at most, filed in
seconds. A photo is written and flushed as its file before its database copy is deleted, so a crash
in between only files it again next start. One whose bytes no longer match its hash is left where it is and
logged: its passage's photo is then missing from the evidence store, and `verify` says so.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from hub.core.photos import PhotoStore, state_of

from .sql import for_dialect

_LOGGER = logging.getLogger(__name__)
TABLE = "ledger_evidence_pending"
BATCH = 50  # photos read into memory at a time
RunBlocking = Callable[..., Awaitable[Any]]


async def async_file_legacy_photos(
    conn: Any, dialect: str, evidence: PhotoStore, run_blocking: RunBlocking
) -> int:
    """File every photo left in the database by an earlier release; returns how many were filed."""
    select = for_dialect(
        dialect, f"SELECT sha256, content FROM {TABLE} WHERE sha256 > ? ORDER BY sha256 LIMIT ?"
    )
    filed, after = 0, ""
    while True:
        _, rows = await conn.execute_query(select, [after, BATCH])
        if not rows:
            break
        photos = [(str(r[0]), bytes(r[1])) for r in rows]
        after = photos[-1][0]
        good = await run_blocking(_file, evidence, photos)
        if good:
            marks = ", ".join("?" for _ in good)
            await conn.execute_query(
                for_dialect(dialect, f"DELETE FROM {TABLE} WHERE sha256 IN ({marks})"), good
            )
        filed += len(good)
    if filed:
        _LOGGER.warning("Filed %d photo(s) an earlier release kept in the database", filed)
    return filed


def _file(evidence: PhotoStore, photos: list[tuple[str, bytes]]) -> list[str]:
    """Blocking: store the photos that still have their hash, flushed; returns their hashes."""
    good = [(sha, content) for sha, content in photos if state_of(sha, content) == "ok"]
    for sha, _ in set(photos) - set(good):
        _LOGGER.error("Photo %s… kept in the database does not match its hash; left there", sha[:16])
    evidence.put_many([(sha, content) for sha, content in good if evidence.check(sha) != "ok"])
    return [sha for sha, _ in good]
