"""The single writer of a chain: appends are queued and committed in short batched transactions.

Only this writer assigns seq and prev_hash, so concurrent callers never race for a place in the chain.
Whatever is queued while a transaction runs goes into the next one (group commit): one commit serves
many passages at busy times, a lone passage is committed at once, and a caller's `async_append`
returns only after its row is committed. Nothing is awaited inside a transaction except the database.

Rows are sealed (given seq, prev_hash and hash) on the event loop against the head this writer
last committed, and the rows queued behind a transaction are sealed while it runs: sealing and
inserting overlap. Inside the transaction the real head and the idempotency keys are read as ever;
rows sealed against another head (another process appended: a command-line run, a second hub on the
same database) or placed after a duplicate are sealed again there, so the chain is right whatever
the guess was. The rows end with the seq, prev_hash and hash that were committed.

On SQLite the whole transaction (read the head, check idempotency keys, insert, index, commit) runs
as one call on the database's own thread: one hop instead of one per statement. The rows go in as
multi-row INSERTs, so that the thread holds the GIL only to bind them and lets the loop run while
SQLite writes. Elsewhere (PostgreSQL) the same steps go through tortoise statement by statement.
After the commit the callers are woken first; `on_commit` (the bus events) and the head file follow,
off the callers' path.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tortoise import connections
from tortoise.exceptions import IntegrityError, OperationalError
from tortoise.transactions import in_transaction

from hub.core import Context
from hub.core.faults import ThrottledLog
from hub.core.storage import sqlite_thread

from .chain import ChainSpec, seal
from .const import GENESIS_HASH, MAX_BATCH
from .sql import for_dialect, insert_sql

_LOGGER = logging.getLogger(__name__)
ATTEMPTS = 5
YIELD_SECONDS = 0.05  # how long a writer that yields (the audit log) waits for passages to go first
# The listeners of a batch run while the next transaction is under way; should that one be slow to
# start (the connection busy with a long query), they run after this long anyway.
DEFER_SECONDS = 0.02
RETRIED = (IntegrityError, OperationalError, sqlite3.IntegrityError, sqlite3.OperationalError)

Row = dict[str, Any]
Statements = list[tuple[str, list[Sequence[Any]]]]
SideRows = Callable[[list[Row]], Statements]  # more rows for the same transaction (an index)
Committed = list[tuple[Row, Context | None]]  # the rows of a transaction, with their callers' contexts
Link = tuple[int, str]  # (seq, hash) of a row: where the next row attaches
OnCommit = Callable[[Committed], None]
OnTrouble = Callable[[Exception | None], None]  # a commit failed (the error), or works again (None)
RunBlocking = Callable[..., Awaitable[Any]]


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
    urgent: bool = True
    linger_until: float = 0.0  # loop time until which a row that is not urgent waits for company
    result: Any = None
    # Sealed ahead (on the loop): the link the rows were sealed after, their insert parameters and
    # the link of the last of them. Valid only if the chain really ends at `after` when they go in.
    after: Link | None = None
    params: list[tuple[Any, ...]] | None = None
    end: Link | None = None


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
        yield_to: ChainWriter | None = None,
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
        self._yield_to = yield_to
        self._on_trouble = on_trouble
        self._in_trouble = False
        self._log = ThrottledLog(_LOGGER)  # a full disk or a held lock fails every commit: few lines
        self._pending: deque[_Append] = deque()
        self._work = asyncio.Event()  # something is pending
        self._urgent = 0  # urgent appends pending
        self._urgent_queued = asyncio.Event()
        self._expected: dict[str, float] = {}  # urgent appends announced: key -> loop time to give up
        self._idle = asyncio.Event()  # nothing pending or being committed
        self._idle.set()
        self._worker: asyncio.Task[None] | None = None
        self._head: tuple[int, str] | None = None  # last committed link, for the head file
        # Where this writer expects the chain to end when its next transaction starts: the last link
        # it committed (None: not known yet, or a transaction failed). Only a guess for sealing ahead.
        self._tail: Link | None = None
        # Committed batches whose `on_commit` waits for the next transaction to be under way (see
        # `_under_way`); delivered in commit order, never dropped.
        self._deferred: list[Committed] = []
        self._head_job: asyncio.Future[Any] | None = None
        self._head_sent: tuple[int, str] | None = None  # the newest head given to a file write
        self._insert = insert_sql(dialect, spec.table, (*spec.columns, "hash"))
        self._inserts: dict[int, str] = {}  # multi-row INSERT by number of rows (SQLite)
        self._max_rows = 0  # rows in the largest multi-row INSERT; set from the connection's limit
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
        self._deliver_deferred()  # none should be left; never lose one if the worker was cut short
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)
            self._worker = None
        while self._head_job is not None:
            await asyncio.gather(self._head_job, return_exceptions=True)
        if self.head_file is not None and self._head is not None and self._head != self._head_sent:
            self._head_sent = self._head
            self._write_head_file(self._head)

    async def async_append(self, row: Row, **options: Any) -> Row:
        """Queue a row (`append_nowait`); returns it, with seq, prev_hash and hash, once committed."""
        return await self.append_nowait(row, **options)

    def append_nowait(
        self,
        row: Row,
        *,
        key: str | None = None,
        context: Context | None = None,
        urgent: bool = True,
        linger: float = 0.0,
    ) -> asyncio.Future[Row]:
        """Queue a row now, behind everything queued before; the future is done once it is committed.

        An urgent row (a passage: a barrier waits for it) is committed at once, with whatever else is
        queued. One that is not (a follow-up) is held while an urgent one is expected (see
        `expect_urgent`) or, with `linger`, for up to that many seconds in any case: at a busy gate
        the next passage comes within them and the row shares its commit, instead of holding the
        writer with a commit of its own just as that passage arrives.
        A caller that gives up waiting cancels only its future: the row is queued and is committed."""
        future = self._put([row], key, context, urgent)
        if linger and not urgent:
            self._pending[-1].linger_until = asyncio.get_running_loop().time() + linger
        return future

    async def async_append_many(self, rows: list[Row], *, context: Context | None = None) -> list[Row]:
        """Queue many rows in order (a replay, an import); returns them once all are committed.

        A chunk that fails is retried row by row, so one bad row does not sink the others; the
        first error is raised once every other row is committed."""
        futures = [
            self._put(rows[i : i + MAX_BATCH], None, context, True) for i in range(0, len(rows), MAX_BATCH)
        ]
        results = await asyncio.gather(*futures, return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result
        return rows

    def _put(
        self, rows: list[Row], key: str | None, context: Context | None, urgent: bool
    ) -> asyncio.Future[Any]:
        if self._worker is None or self._worker.done():
            raise RuntimeError(f"the ledger {self.spec.name} writer is not running")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending.append(_Append(rows, future, key, context, urgent))
        self._idle.clear()
        self._work.set()
        if urgent:
            self._urgent += 1
            self._urgent_queued.set()
        return future

    def expect_urgent(self, key: str, within: float) -> None:
        """An urgent append is likely within `within` seconds (a plate was read: its passage follows);
        rows that are not urgent wait for it meanwhile. `expected_done(key)` when it is queued."""
        if len(self._expected) > 100:  # reads that brought no passage (no policy loaded)
            self._expecting()
        self._expected[key] = asyncio.get_running_loop().time() + within

    def expected_done(self, key: str) -> None:
        self._expected.pop(key, None)

    def _expecting(self) -> float:
        """Seconds left to wait for announced urgent appends; 0 when none is expected any more."""
        if not self._expected:
            return 0.0
        now = asyncio.get_running_loop().time()
        for key in [k for k, until in self._expected.items() if until <= now]:
            del self._expected[key]
        return max(self._expected.values(), default=now) - now

    def _holding(self) -> float:
        """Seconds to hold the queued rows, none urgent: a passage is announced, or a row lingers."""
        linger = max((item.linger_until for item in self._pending), default=0.0)
        return max(self._expecting(), linger - asyncio.get_running_loop().time(), 0.0)

    async def async_quiet(self, timeout: float) -> None:
        """Wait (at most `timeout`) until nothing is queued, being committed or expected."""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                while not self._idle.is_set() or self._expecting():
                    if self._idle.is_set():
                        await asyncio.sleep(self._expecting())
                    else:
                        await self._idle.wait()

    # ----- the worker ----------------------------------------------------------------------------
    async def _run(self) -> None:
        while True:
            if self._deferred and not self._work.is_set():  # no transaction follows: deliver now
                asyncio.get_running_loop().call_soon(self._deliver_deferred)
            await self._work.wait()
            if not self._urgent and (hold := self._holding()):  # a passage is coming: it goes first
                if self._deferred:
                    asyncio.get_running_loop().call_soon(self._deliver_deferred)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(hold):
                        await self._urgent_queued.wait()
            if self._yield_to is not None:  # passages first: a barrier waits for them
                if self._deferred:
                    asyncio.get_running_loop().call_soon(self._deliver_deferred)
                await self._yield_to.async_quiet(YIELD_SECONDS)
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
            self._urgent -= item.urgent
        if not self._urgent:
            self._urgent_queued.clear()
        return batch

    async def _commit_batch(self, batch: list[_Append]) -> None:
        try:
            committed = await self._commit_with_retry(batch)
        except Exception as err:
            if len(batch) == 1 and len(batch[0].rows) == 1:
                _fail(batch[0], err)
                return
            # One bad row must not sink the others: commit them one at a time.
            committed = []
            for item in batch:
                errors: list[Exception] = []
                for row in item.rows:
                    one = _Append([row], item.future, item.key, item.context, item.urgent)
                    try:
                        committed += await self._commit_with_retry([one])
                    except Exception as one_err:
                        self._log.log(
                            "row", logging.ERROR, "Ledger %s row not recorded: %s", self.spec.name, one_err
                        )
                        errors.append(one_err)
                    else:
                        item.result = one.result if len(item.rows) == 1 else item.rows
                if errors:
                    _fail(item, errors[0])
        # Urgent callers first: they wake in this order, and a passage's barrier should not wait
        # while the caller of a follow-up in the same commit goes on to its next call.
        for item in sorted(batch, key=lambda item: not item.urgent):
            if not item.future.done():
                item.future.set_result(item.result)
        if committed:
            last = committed[-1][0]
            self._head = (last["seq"], last["hash"])
            if self._pending and len(self._pending[0].rows) > 1:
                # More of a bulk append (a replay, an import) starts at once: the listeners run
                # while it is under way. Not before a single row: a passage that waits next would
                # wait for them too.
                self._deferred.append(committed)
                asyncio.get_running_loop().call_later(DEFER_SECONDS, self._deliver_deferred)
            else:
                # Behind the callers just woken: they go on (to the barrier) before the listeners run.
                asyncio.get_running_loop().call_soon(self._delivered, committed)

    async def _commit_with_retry(self, batch: list[_Append]) -> Committed:
        for attempt in range(1, ATTEMPTS + 1):
            try:
                async with self.lock:
                    committed = await self._commit(batch)
            except RETRIED as err:
                # Another process appended meanwhile (the seq is taken) or held the file lock, or the
                # disk is full: the next attempt reads the head again.
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

    async def _commit(self, batch: list[_Append]) -> Committed:
        try:
            new, self._tail = await self._commit_once(batch)
        except BaseException:
            self._tail = None  # the head is in doubt (another process?): the next try seals inside
            raise
        return new

    async def _commit_once(self, batch: list[_Append]) -> tuple[Committed, Link]:
        # Seal on the loop what is not sealed yet: the same work the transaction would do, in the
        # same series, but it lets the rows queued behind be sealed while this one runs.
        end = self._seal_ahead(batch, self._tail)
        try:
            return await self._transaction(batch, end)
        finally:
            self._deliver_deferred()  # if the transaction never got as far as its insert

    async def _transaction(self, batch: list[_Append], end: Link | None) -> tuple[Committed, Link]:
        loop = asyncio.get_running_loop()
        client = connections.get("default")
        if self.dialect == "sqlite":
            # One call on the database's thread for the whole transaction saves a thread round trip
            # per statement; where that is not possible, the statement-by-statement path below.
            async with sqlite_thread(client) as on_thread:
                if on_thread is not None:
                    return await on_thread(self._commit_sqlite, batch, loop)  # type: ignore[no-any-return]
        loop.call_soon(self._under_way, end)  # runs while the statements below wait for the server
        async with in_transaction() as conn:
            _, rows = await conn.execute_query(self._head_sql)
            keys = [item.key for item in batch if item.key]
            found: list[Any] = []
            if self._dedupe is not None and keys:
                _, found = await conn.execute_query(
                    self._dedupe_sql(len(keys)), [*self._dedupe.params, *keys]
                )
            params, new, last = self._seal(batch, rows[0] if rows else None, found)
            if params:
                await conn.execute_many(self._insert, params)
                for sql, values in self._side_rows(new_rows(new)) if self._side_rows else ():
                    await conn.execute_many(sql, values)
        return new, last

    def _commit_sqlite(
        self,
        conn: sqlite3.Connection,
        batch: list[_Append],
        loop: asyncio.AbstractEventLoop,
    ) -> tuple[Committed, Link]:
        """The whole transaction, on the database's thread. IMMEDIATE: take the write lock first, so
        that another process's append waits for ours instead of failing halfway.

        The loop's work for the meantime (`_under_way`) is started just before the insert, not at
        once: run while this thread still takes turns at the GIL for each short statement, it would
        make the thread wait for the GIL at every turn; during the insert SQLite runs without it."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            head = conn.execute(self._head_sql).fetchone()
            keys = [item.key for item in batch if item.key]
            found: list[Any] = []
            if self._dedupe is not None and keys:
                found = conn.execute(self._dedupe_sql(len(keys)), [*self._dedupe.params, *keys]).fetchall()
            params, new, last = self._seal(batch, head, found)
            if self._deferred or self._pending:  # else nothing to do meanwhile: no wake-up of the loop
                loop.call_soon_threadsafe(self._under_way, last)  # where the next rows attach
            if params:
                self._insert_sqlite(conn, params)
                for sql, values in self._side_rows(new_rows(new)) if self._side_rows else ():
                    conn.executemany(sql, values)
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        return new, last

    def _insert_sqlite(self, conn: sqlite3.Connection, params: list[tuple[Any, ...]]) -> None:
        """Insert the rows as few multi-row INSERTs: executemany binds and steps row by row and takes
        the GIL back after every row, so a busy event loop (sealing the next rows, running listeners)
        would stall it at each one; one statement binds all its rows, then SQLite writes them without
        the GIL. Statements of the largest size and powers of two below it: a few to prepare, each
        kept by sqlite3's statement cache."""
        if not self._max_rows:
            width = len(self.spec.columns) + 1
            limit = conn.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
            self._max_rows = max(1, min(MAX_BATCH, limit // width))
        done, total = 0, len(params)
        while done < total:
            left = total - done
            rows = self._max_rows if left >= self._max_rows else 1 << (left.bit_length() - 1)
            if rows == 1:
                conn.execute(self._insert, params[done])
            else:
                conn.execute(
                    self._insert_rows(rows), list(itertools.chain.from_iterable(params[done : done + rows]))
                )
            done += rows

    def _insert_rows(self, rows: int) -> str:
        sql = self._inserts.get(rows)
        if sql is None:
            marks = "(" + ", ".join("?" for _ in range(len(self.spec.columns) + 1)) + ")"
            head, _, _ = self._insert.partition(" VALUES ")
            sql = self._inserts[rows] = f"{head} VALUES {', '.join(itertools.repeat(marks, rows))}"
        return sql

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
        self, batch: list[_Append], head: Sequence[Any] | None, found: list[Any]
    ) -> tuple[list[tuple[Any, ...]], Committed, Link]:
        """Place the batch's rows after `head` (inside the transaction); returns the insert
        parameters, the new rows and the link of the last row. Rows sealed ahead after exactly the
        link they now follow are kept; any others are sealed again here."""
        link: Link = (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)
        column = self._dedupe.column if self._dedupe else ""
        existing: dict[str, Row] = {r[0]: {column: r[0], "seq": int(r[1]), "hash": r[2]} for r in found}
        params: list[tuple[Any, ...]] = []
        new: Committed = []
        for item in batch:
            if item.key and item.key in existing:
                item.result = {**existing[item.key], "duplicate": True}
                if item.after is not None:  # sealed ahead, but not committed: its rows say nothing
                    for row in item.rows:
                        for column in ("seq", "prev_hash", "hash"):
                            row.pop(column, None)
                    item.after = item.params = item.end = None
                continue
            if item.after != link or item.params is None or item.end is None:
                self._seal_item(item, link)
            assert item.params is not None and item.end is not None
            params += item.params
            new += [(row, item.context) for row in item.rows]
            link = item.end
            if item.key:
                existing[item.key] = item.rows[0]
            item.result = item.rows[0] if item.key or len(item.rows) == 1 else item.rows
        return params, new, link

    def _seal_item(self, item: _Append, after: Link) -> None:
        seq, prev_hash = after
        params: list[tuple[Any, ...]] = []
        for row in item.rows:
            seq += 1
            values = seal(self.spec, row, seq, prev_hash)
            params.append(values)
            prev_hash = values[-1]
        item.after, item.params, item.end = after, params, (seq, prev_hash)

    def _seal_ahead(self, items: Iterable[_Append], link: Link | None) -> Link | None:
        """Seal items (on the loop) as if the chain ended at `link`; returns where they end, or None
        where that cannot be told (no link known; a key seen twice: the transaction decides which
        row is kept). Items already sealed after the right link are left as they are."""
        if link is None:
            return None
        keys: set[str] = set()
        for item in items:
            if item.key:
                if item.key in keys:
                    return None
                keys.add(item.key)
            if item.after != link or item.end is None:
                self._seal_item(item, link)
            assert item.end is not None
            link = item.end
        return link

    def _under_way(self, end: Link | None) -> None:
        """While a transaction runs: the listeners of the batches before it, then seal the rows that
        will follow it (if it ends where it was sealed to end)."""
        self._deliver_deferred()
        if end is not None:
            self._seal_pending(end)

    def _deliver_deferred(self) -> None:
        while self._deferred:
            self._delivered(self._deferred.pop(0))

    def _seal_pending(self, link: Link) -> None:
        """Seal what the next transaction will take (see `_take_batch`), while this one runs. Only
        queued items are touched: those of the running transaction belong to its thread now."""
        try:
            self._seal_ahead(itertools.islice(self._pending, self._next_batch_size()), link)
        except Exception:  # a row that cannot be sealed fails in its own transaction, as before
            _LOGGER.debug("Ledger %s: sealing ahead failed", self.spec.name, exc_info=True)

    def _next_batch_size(self) -> int:
        """How many queued items the next `_take_batch` takes (as things stand)."""
        count = size = 0
        for item in self._pending:
            if count and size + len(item.rows) > MAX_BATCH:
                break
            count += 1
            size += len(item.rows)
        return count

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


def new_rows(new: Committed) -> list[Row]:
    return [row for row, _ in new]


def _fail(item: _Append, err: BaseException) -> None:
    if not item.future.done():
        item.future.set_exception(err)
