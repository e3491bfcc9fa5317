"""The single writer of a chain: appends are queued and committed in short batched transactions.

Only this writer assigns seq and prev_hash, so concurrent callers never race for a place in the chain.
Whatever is queued while a transaction runs goes into the next one (group commit): one commit serves
many passages at busy times, and a caller's `async_append` returns only after its row is committed.
Nothing is awaited inside a transaction except the database itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from hub.core import Context

from .chain import ChainSpec, seal
from .const import GENESIS_HASH, MAX_BATCH
from .sql import for_dialect, insert_sql

_LOGGER = logging.getLogger(__name__)
ATTEMPTS = 5

Dedupe = Callable[[Any, list[str]], Awaitable[dict[str, dict[str, Any]]]]
AfterInsert = Callable[[Any, list[dict[str, Any]]], Awaitable[None]]
OnCommit = Callable[[list[tuple[dict[str, Any], Context | None]]], None]


@dataclass(slots=True)
class _Append:
    row: dict[str, Any]
    future: asyncio.Future[Any] | None  # None: part of a bulk append, whose last item holds the future
    key: str | None = None  # idempotency key: a second append with the same key returns the first row
    context: Context | None = None
    sealed: tuple[Any, ...] = field(default=())
    bulk: list[dict[str, Any]] | None = None  # the rows of a bulk append, returned by its last item


class ChainWriter:
    def __init__(
        self,
        spec: ChainSpec,
        dialect: str,
        *,
        head_file: Path | None = None,
        dedupe: Dedupe | None = None,
        after_insert: AfterInsert | None = None,
        on_commit: OnCommit | None = None,
    ) -> None:
        self.spec = spec
        self.dialect = dialect
        self.head_file = head_file
        self.lock = asyncio.Lock()  # held for each transaction; retention takes it to prune
        self._dedupe = dedupe
        self._after_insert = after_insert
        self._on_commit = on_commit
        self._queue: asyncio.Queue[_Append] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._insert = insert_sql(dialect, spec.table, (*spec.columns, "hash"))
        self._head_sql = for_dialect(
            dialect, f'SELECT seq, hash FROM "{spec.table}" ORDER BY seq DESC LIMIT 1'
        )

    def start(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(
                self._run(), name=f"ledger {self.spec.name} writer"
            )

    async def async_stop(self) -> None:
        """Commit what is queued, then stop."""
        await self._queue.join()
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None

    async def async_append(
        self, row: dict[str, Any], *, key: str | None = None, context: Context | None = None
    ) -> dict[str, Any]:
        """Queue a row; returns it, with seq, prev_hash and hash, once it is committed."""
        if self._worker is None or self._worker.done():
            raise RuntimeError(f"the ledger {self.spec.name} writer is not running")
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        # A caller that gives up waiting cancels only its future: the row is queued and is committed.
        self._queue.put_nowait(_Append(row, future, key, context))
        return await future

    async def async_append_many(
        self, rows: list[dict[str, Any]], *, context: Context | None = None
    ) -> list[dict[str, Any]]:
        """Queue many rows in order (a replay, an import); returns them once all are committed."""
        if self._worker is None or self._worker.done():
            raise RuntimeError(f"the ledger {self.spec.name} writer is not running")
        if not rows:
            return []
        future: asyncio.Future[list[dict[str, Any]]] = asyncio.get_running_loop().create_future()
        for row in rows[:-1]:
            self._queue.put_nowait(_Append(row, None, None, context))
        self._queue.put_nowait(_Append(rows[-1], future, None, context, bulk=rows))
        await future
        return rows

    async def _run(self) -> None:
        while True:
            batch = [await self._queue.get()]
            while len(batch) < MAX_BATCH and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            try:
                await self._commit_batch(batch)
            except Exception:  # never let the writer die; each caller got its error
                _LOGGER.exception("Ledger %s writer failed on a batch", self.spec.name)
            finally:
                for _ in batch:
                    self._queue.task_done()

    async def _commit_batch(self, batch: list[_Append]) -> None:
        try:
            committed = await self._commit_with_retry(batch)
        except Exception as err:
            if len(batch) == 1:
                _fail(batch[0], err)
                return
            # One bad row must not sink the others: commit them one at a time.
            committed = []
            for item in batch:
                try:
                    committed += await self._commit_with_retry([item])
                except Exception as one_err:
                    _fail(item, one_err)
        for item in batch:
            if item.future is not None and not item.future.done():
                item.future.set_result(item.bulk if item.bulk is not None else item.row)
        if committed:
            self._write_head(committed[-1].row)
            if self._on_commit is not None:
                try:
                    self._on_commit([(item.row, item.context) for item in committed])
                except Exception:  # the rows are committed whatever a listener does
                    _LOGGER.exception("Ledger %s: handling committed rows failed", self.spec.name)

    async def _commit_with_retry(self, batch: list[_Append]) -> list[_Append]:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self.lock:
                    return await self._commit(batch)
            except (IntegrityError, OperationalError) as err:
                # Another process appended meanwhile (the seq is taken) or held the file lock: re-read
                # the head and try again.
                if attempt == ATTEMPTS:
                    raise
                _LOGGER.warning("Ledger %s append retried (%s)", self.spec.name, err)
                await asyncio.sleep(0.05 * attempt)
        raise AssertionError("unreachable")

    async def _commit(self, batch: list[_Append]) -> list[_Append]:
        async with in_transaction() as conn:
            _, rows = await conn.execute_query(self._head_sql)
            seq, prev_hash = (int(rows[0][0]), str(rows[0][1])) if rows else (0, GENESIS_HASH)
            keys = [item.key for item in batch if item.key]
            existing = await self._dedupe(conn, keys) if self._dedupe and keys else {}
            new: list[_Append] = []
            for item in batch:
                if item.key and item.key in existing:
                    item.row = {**existing[item.key], "duplicate": True}
                    continue
                seq += 1
                item.sealed = seal(self.spec, item.row, seq, prev_hash)
                prev_hash = item.row["hash"]
                if item.key:
                    existing[item.key] = item.row
                new.append(item)
            if new:
                await conn.execute_many(self._insert, [list(item.sealed) for item in new])
                if self._after_insert is not None:
                    await self._after_insert(conn, [item.row for item in new])
        return new

    def _write_head(self, row: dict[str, Any]) -> None:
        # Remembers the last committed link outside the database, so that `verify` notices rows cut
        # off the end of the chain. A few hundred bytes, no fsync: losing the latest update only
        # makes the check a little weaker, never wrong.
        if self.head_file is None:
            return
        temp = self.head_file.with_suffix(".tmp")
        try:
            temp.write_text(json.dumps({"seq": row["seq"], "hash": row["hash"]}), encoding="utf-8")
            os.replace(temp, self.head_file)
        except OSError as err:
            _LOGGER.warning("Cannot write %s: %s", self.head_file, err)


def _fail(item: _Append, err: BaseException) -> None:
    if item.future is None:
        _LOGGER.error("Ledger row of a bulk append not recorded: %s (%s)", err, item.row.get("passage_id"))
    elif not item.future.done():
        item.future.set_exception(err)
