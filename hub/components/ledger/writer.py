"""The single writer of a chain: appends are queued and committed in short transactions.

Only this writer assigns seq and prev_hash, so concurrent callers never race for a place in the chain.
Whatever is queued while a transaction runs goes into the next one (group commit): one commit serves
many passages at busy times, a lone passage is committed at once, and a caller's `async_append`
returns only after its row is committed (SQLite with synchronous=FULL: on disk).

Each transaction reads the chain's head and the idempotency keys already used, seals the rows after
that head, inserts them and commits: on PostgreSQL a tortoise transaction, on SQLite the same statements
on tortoise's connection (aiosqlite's public interface), begun IMMEDIATE. After the commit the callers
are woken, then `on_commit` (the bus events) runs and the head file is written. A batch that fails is
committed again row by row, so one bad row fails alone.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from hub.core import Context
from hub.core.faults import ThrottledLog

from .chain import ChainSpec, seal
from .const import GENESIS_HASH, MAX_BATCH
from .sql import for_dialect, insert_sql

_LOGGER = logging.getLogger(__name__)
ATTEMPTS = 5
# Another process appended meanwhile (the seq is taken), the file lock is held, the disk is full.
RETRIED = (IntegrityError, OperationalError, sqlite3.IntegrityError, sqlite3.OperationalError)

Row = dict[str, Any]
Statements = list[tuple[str, list[Sequence[Any]]]]
SideRows = Callable[[list[Row]], Statements]  # more rows for the same transaction (an index)
Committed = list[tuple[Row, Context | None]]  # the rows of a transaction, with their callers' contexts
OnCommit = Callable[[Committed], None]
OnTrouble = Callable[[Exception | None], None]  # a commit failed (the error), or works again (None)
RunBlocking = Callable[..., Awaitable[Any]]
Query = Callable[[str, Sequence[Any]], Awaitable[Sequence[Any]]]  # rows of a statement
Many = Callable[[str, Any], Awaitable[Any]]  # one statement for each set of values


@dataclass(frozen=True, slots=True)
class Dedupe:
    """Appends with an idempotency key: a second one with a known key returns the first row."""

    column: str  # holds the key, e.g. passage_id
    where: str  # which rows carry keys, e.g. "kind = ?"
    params: tuple[Any, ...]


@dataclass(slots=True)
class _Append:
    rows: list[Row]  # one row, or a chunk of a bulk append
    future: asyncio.Future[Any]
    key: str | None = None
    context: Context | None = None
    result: Any = None


class ChainWriter:
    def __init__(
        self,
        spec: ChainSpec,
        dialect: str,
        *,
        head_file: Path | None = None,
        dedupe: Dedupe | None = None,
        side_rows: SideRows | None = None,
        on_commit: OnCommit | None = None,
        run_blocking: RunBlocking | None = None,
        on_trouble: OnTrouble | None = None,
    ) -> None:
        self.spec = spec
        self.dialect = dialect
        self.head_file = head_file
        self.lock = asyncio.Lock()  # held for each transaction; retention takes it to prune
        self._dedupe = dedupe
        self._side_rows = side_rows
        self._on_commit = on_commit
        self._run_blocking = run_blocking
        self._on_trouble = on_trouble
        self._in_trouble = False
        self._log = ThrottledLog(_LOGGER)  # a full disk or a held lock fails every commit: few lines
        self._pending: deque[_Append] = deque()
        self._work = asyncio.Event()  # something is pending
        self._idle = asyncio.Event()  # nothing pending or being committed
        self._idle.set()
        self._worker: asyncio.Task[None] | None = None
        self._head: tuple[int, str] | None = None  # last committed link, for the head file
        self._head_job: asyncio.Future[Any] | None = None
        self._head_sent: tuple[int, str] | None = None  # the newest head given to a file write
        self._insert = insert_sql(dialect, spec.table, (*spec.columns, "hash"))
        self._head_sql = for_dialect(
            dialect, f'SELECT seq, hash FROM "{spec.table}" ORDER BY seq DESC LIMIT 1'
        )

    # ----- callers -------------------------------------------------------------------------------
    def start(self) -> None:
        if self._worker is None or self._worker.done():
            self._worker = asyncio.get_running_loop().create_task(
                self._run(), name=f"ledger {self.spec.name} writer"
            )

    async def async_stop(self) -> None:
        """Commit what is queued, deliver it, write the head file, then stop."""
        if self._worker is not None and not self._worker.done():
            await self._idle.wait()
        await asyncio.sleep(0)  # the last batch's on_commit, scheduled right after its callers
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        while self._head_job is not None:
            await asyncio.gather(self._head_job, return_exceptions=True)
        if self.head_file is not None and self._head is not None and self._head != self._head_sent:
            self._head_sent = self._head
            self._write_head_file(self._head)

    async def async_append(self, row: Row, *, key: str | None = None, context: Context | None = None) -> Row:
        """Queue a row behind everything queued before; returns it, with seq, prev_hash and hash,
        once committed. A caller that gives up waiting cancels only its wait: the row is committed."""
        committed: Row = await self._put([row], key, context)
        return committed

    async def async_append_many(self, rows: list[Row], *, context: Context | None = None) -> list[Row]:
        """Queue many rows in order (a replay, an import); returns them once all are committed.

        A chunk that fails is retried row by row, so one bad row does not sink the others; the
        first error is raised once every other row is committed."""
        futures = [self._put(rows[i : i + MAX_BATCH], None, context) for i in range(0, len(rows), MAX_BATCH)]
        results = await asyncio.gather(*futures, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return rows

    def _put(self, rows: list[Row], key: str | None, context: Context | None) -> asyncio.Future[Any]:
        if self._worker is None or self._worker.done():
            raise RuntimeError(f"the ledger {self.spec.name} writer is not running")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append(_Append(rows, future, key, context))
        self._idle.clear()
        self._work.set()
        return future

    # ----- the worker ----------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            await self._work.wait()
            batch = self._take_batch()
            try:
                await self._commit_batch(batch)
            except Exception as err:  # never let the writer die; each caller gets an answer
                _LOGGER.exception("Ledger %s writer failed on a batch", self.spec.name)
                for item in batch:
                    _fail(item, err)
            finally:
                if not self._pending:
                    self._work.clear()
                    self._idle.set()

    def _take_batch(self) -> list[_Append]:
        """Everything queued, in order, up to MAX_BATCH rows (a bulk chunk may go alone)."""
        batch: list[_Append] = []
        size = 0
        while self._pending and (not batch or size + len(self._pending[0].rows) <= MAX_BATCH):
            item = self._pending.popleft()
            batch.append(item)
            size += len(item.rows)
        return batch

    async def _commit_batch(self, batch: list[_Append]) -> None:
        try:
            committed = await self._commit_with_retry(batch)
        except Exception as err:
            if len(batch) == 1 and len(batch[0].rows) == 1:
                _fail(batch[0], err)
                return
            committed = await self._commit_one_by_one(batch)
        for item in batch:
            if not item.future.done():
                item.future.set_result(item.result)
        if committed:
            last = committed[-1][0]
            self._head = (last["seq"], last["hash"])
            # Behind the callers just woken: they go on (to the barrier) before the listeners run.
            asyncio.get_running_loop().call_soon(self._delivered, committed)

    async def _commit_one_by_one(self, batch: list[_Append]) -> Committed:
        """One bad row must not sink the others: commit them one at a time."""
        committed: Committed = []
        for item in batch:
            errors: list[Exception] = []
            for row in item.rows:
                one = _Append([row], item.future, item.key, item.context)
                try:
                    committed += await self._commit_with_retry([one])
                except Exception as err:
                    self._log.log("row", logging.ERROR, "Ledger %s row not recorded: %s", self.spec.name, err)
                    errors.append(err)
                else:
                    item.result = one.result if len(item.rows) == 1 else item.rows
            if errors:
                _fail(item, errors[0])
        return committed

    async def _commit_with_retry(self, batch: list[_Append]) -> Committed:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self.lock:
                    committed = await self._transaction(batch)
            except RETRIED as err:
                self._trouble(err)
                if attempt == ATTEMPTS:
                    raise
                self._log.log("retry", logging.WARNING, "Ledger %s append retried (%s)", self.spec.name, err)
                await asyncio.sleep(0.05 * attempt)
            else:
                if self._in_trouble:
                    self._trouble(None)
                elif self._on_trouble is not None:  # another writer's trouble may be over too
                    self._on_trouble(None)
                return committed
        raise AssertionError("unreachable")

    def _trouble(self, err: Exception | None) -> None:
        self._in_trouble = err is not None
        if err is None:
            self._log.recovered("retry", "Ledger %s commits again", self.spec.name)
        if self._on_trouble is not None:
            self._on_trouble(err)

    async def _transaction(self, batch: list[_Append]) -> Committed:
        """One transaction: read the head and the keys already used, seal the rows after it, insert."""
        if self.dialect != "sqlite":
            async with in_transaction() as tx:
                return await self._write(batch, _query(tx.execute_query), tx.execute_many)
        # IMMEDIATE: the write lock first, so that another process's write makes this one wait (the
        # busy timeout) instead of failing halfway; tortoise's transactions begin DEFERRED.
        async with connections.get("default").acquire_connection() as conn:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                new = await self._write(batch, conn.execute_fetchall, conn.executemany)
                await conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    await conn.rollback()
                raise
        return new

    async def _write(self, batch: list[_Append], query: Query, many: Many) -> Committed:
        rows = await query(self._head_sql, [])
        keys = [item.key for item in batch if item.key]
        found: Sequence[Any] = []
        if self._dedupe is not None and keys:
            found = await query(self._dedupe_sql(len(keys)), [*self._dedupe.params, *keys])
        params, new = self._seal(batch, rows[0] if rows else None, found)
        if params:
            await many(self._insert, params)
            for sql, values in self._side_rows([row for row, _ in new]) if self._side_rows else ():
                await many(sql, values)
        return new

    def _dedupe_sql(self, count: int) -> str:
        assert self._dedupe is not None
        d = self._dedupe
        marks = ", ".join("?" for _ in range(count))
        return for_dialect(
            self.dialect,
            f'SELECT "{d.column}", seq, hash FROM "{self.spec.table}" '
            f'WHERE {d.where} AND "{d.column}" IN ({marks})',
        )

    def _seal(
        self, batch: list[_Append], head: Sequence[Any] | None, found: Sequence[Any]
    ) -> tuple[list[tuple[Any, ...]], Committed]:
        """Place the batch's rows after `head`; returns the insert parameters and the new rows. A row
        whose key is taken (found in the chain, or earlier in the batch) is not inserted: its caller
        gets the first row, marked as a duplicate."""
        seq, prev_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)
        column = self._dedupe.column if self._dedupe else ""
        existing: dict[str, Row] = {r[0]: {column: r[0], "seq": int(r[1]), "hash": r[2]} for r in found}
        params: list[tuple[Any, ...]] = []
        new: Committed = []
        for item in batch:
            if item.key and item.key in existing:
                item.result = {**existing[item.key], "duplicate": True}
                continue
            for row in item.rows:
                seq += 1
                values = seal(self.spec, row, seq, prev_hash)
                params.append(values)
                prev_hash = values[-1]
                new.append((row, item.context))
            if item.key:
                existing[item.key] = item.rows[0]
            item.result = item.rows[0] if item.key or len(item.rows) == 1 else item.rows
        return params, new

    # ----- after the commit ----------------------------------------------------------------------
    def _delivered(self, committed: Committed) -> None:
        self._schedule_head()
        if self._on_commit is not None:
            try:
                self._on_commit(committed)
            except Exception:  # the rows are committed whatever a listener does
                _LOGGER.exception("Ledger %s: handling committed rows failed", self.spec.name)

    def _schedule_head(self) -> None:
        # Remembers the last committed link outside the database, so that `verify` notices rows cut
        # off the end of the chain. Written on a worker thread, one write at a time, the newest head
        # each time; no fsync: a late or lost update only makes the check a little weaker, never wrong
        # (the file never names a row that is not committed).
        if self.head_file is None or self._head_job is not None or self._head == self._head_sent:
            return
        head = self._head_sent = self._head
        assert head is not None
        job: asyncio.Future[Any]
        if self._run_blocking is not None:
            job = asyncio.ensure_future(self._run_blocking(self._write_head_file, head))
        else:
            job = asyncio.get_running_loop().run_in_executor(None, self._write_head_file, head)
        self._head_job = job
        job.add_done_callback(self._head_done)

    def _head_done(self, job: asyncio.Future[Any]) -> None:
        self._head_job = None
        if job.cancelled():
            return
        if job.exception() is not None:
            _LOGGER.warning("Cannot write %s: %s", self.head_file, job.exception())
        self._schedule_head()  # a head committed while this one was being written

    def _write_head_file(self, head: tuple[int, str]) -> None:
        assert self.head_file is not None
        temp = self.head_file.with_suffix(".tmp")
        try:
            temp.write_text(json.dumps({"seq": head[0], "hash": head[1]}), encoding="utf-8")
            os.replace(temp, self.head_file)
        except OSError as err:
            _LOGGER.warning("Cannot write %s: %s", self.head_file, err)


def _fail(item: _Append, err: BaseException) -> None:
    if not item.future.done():
        item.future.set_exception(err)


def _query(execute: Callable[..., Awaitable[tuple[int, Sequence[Any]]]]) -> Query:
    async def query(sql: str, values: Sequence[Any]) -> Sequence[Any]:
        return (await execute(sql, list(values)))[1]

    return query
