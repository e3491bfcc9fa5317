"""The ledger at run time: records passages and follow-ups, writes the audit log, joins weights."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from hub.core import Context, Event, Hub, ServiceValidationError
from hub.core.const import EVENT_PASSAGE_RECORDED, EVENT_PLATE_READ
from hub.core.disk import async_require_room
from hub.core.faults import Spool, ThrottledLog, problems_of

from .audit import audit_row
from .chain import AUDIT_CHAIN, RECORD_CHAIN
from .config import LedgerConfig
from .const import DOMAIN, EVIDENCE_DIR, HEAD_FILE, KIND_CHECKPOINT, KIND_PASSAGE
from .evidence import EvidenceState, EvidenceStore, digest_of, state_of
from .filing import INSERT_PENDING, EvidenceFiling, async_pending, async_photo_states
from .rows import SELECT_LIST, committed_record, followup_row, passage_row, record_dict
from .schemas import FOLLOWUP_DATA, REASON_REQUIRED, RecordFollowup, RecordPassage
from .sql import for_dialect
from .weights import LaneWeights
from .writer import ChainWriter, Dedupe, Statements

_LOGGER = logging.getLogger(__name__)
RECENT_PASSAGES = 4096  # committed passages kept in memory for their follow-ups
RECENT_SECONDS = 86_400  # older ones are read from the database (retention may have pruned them)
PASSAGE_KEYS = ("passage_id", "seq", "gate", "lane", "direction", "recorded_ts")  # for followup_row
# After a plate read, how long follow-ups wait for its passage, to share its commit (one disk flush)
# rather than make it wait for theirs. A passage never waits; a read that brings none (a merged
# repeat read) costs a follow-up at most this.
EXPECT_PASSAGE_SECONDS = 0.02
# How long a batch of follow-ups nobody waits for (lifecycle steps) waits for a passage to share its
# commit. At a busy gate the next passage comes within it; the steps behind wait for this batch.
LINGER_SECONDS = 0.02
SPOOL_PHOTO_BYTES = 64 * 1024  # photos of a passage committed with its row up to this size in all
SPOOL_RETRY_SECONDS = 1.0  # audit rows that could not be written are tried again this often
PROBLEM_LEDGER = "ledger"  # in the hub's Problems while a chain cannot commit


def _prepare_photos(
    images: list[tuple[str, bytes]],
) -> tuple[list[tuple[str, str, bytes]], tuple[str, str] | None]:
    prepared: list[tuple[str, str, bytes]] = []
    for role, content in images:
        try:
            prepared.append((role, digest_of(content), content))
        except ValueError as err:
            return [], (f"images.{role}", str(err))
    return prepared, None


class Ledger:
    """One per hub (and one per command-line run, which has no bus listeners)."""

    def __init__(self, hub: Hub, config: LedgerConfig) -> None:
        assert hub.db is not None, "the ledger needs the hub's database open"
        self.hub = hub
        self.config = config
        self.dialect = hub.db.dialect
        self.evidence = EvidenceStore(hub.data_dir / EVIDENCE_DIR)
        self.records = ChainWriter(
            RECORD_CHAIN,
            self.dialect,
            head_file=hub.data_dir / HEAD_FILE.format(chain="record"),
            dedupe=Dedupe("passage_id", "kind = ?", (KIND_PASSAGE,)),
            side_rows=self._index_evidence,
            on_commit=self._committed,
            run_blocking=hub.async_add_executor_job,
            on_trouble=lambda err: self._trouble("ledger", err),
        )
        # The audit log waits (briefly) for queued passages: a barrier is waiting on those.
        self.audit = ChainWriter(
            AUDIT_CHAIN,
            self.dialect,
            head_file=hub.data_dir / HEAD_FILE.format(chain="audit"),
            run_blocking=hub.async_add_executor_job,
            yield_to=self.records,
            on_trouble=lambda err: self._trouble("audit log", err),
        )
        # Audit rows the log could not take (a full disk, a database locked by another process):
        # kept in order and written when it takes rows again; later rows queue behind them.
        self.audit_spool: Spool[dict[str, Any]] = Spool("Audit", config.spool_limit, _LOGGER)
        self._audit_flush: asyncio.Task[None] | None = None
        self._troubles: dict[str, str] = {}
        self._log = ThrottledLog(_LOGGER)
        self._evidence_sql = self.sql(
            "INSERT INTO ledger_evidence (sha256, size, first_seq, last_seq) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (sha256) DO UPDATE SET last_seq = excluded.last_seq"
        )
        self._pending_sql = self.sql(INSERT_PENDING)
        self.filing = EvidenceFiling(
            lambda: self.conn,
            self.dialect,
            self.evidence,
            hub.async_add_executor_job,
            room=lambda: async_require_room(hub, "照片归档 photo filing"),
        )
        # What a follow-up needs of its passage, for passages committed by this run: no query then.
        self._recent: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._unsub_read: Callable[[], None] | None = None
        self._filing: asyncio.Task[None] | None = None
        self.weights = LaneWeights(self, config.weight_join_seconds)

    @property
    def conn(self) -> Any:
        assert self.hub.db is not None
        return self.hub.db.connection

    def sql(self, text: str) -> str:
        return for_dialect(self.dialect, text)

    async def async_start(self) -> None:
        self.records.start()
        self.audit.start()
        self._filing = self.hub.async_create_background_task(self.filing.async_run(), name="evidence filing")
        self._unsub_read = self.hub.bus.async_listen(EVENT_PLATE_READ, self._on_plate_read)

    async def async_stop(self) -> None:
        if self._unsub_read is not None:
            self._unsub_read()
            self._unsub_read = None
        if self._audit_flush is not None:
            self._audit_flush.cancel()
            await asyncio.gather(self._audit_flush, return_exceptions=True)
        if self.audit_spool:  # one last try; what still fails is named in the log, never silent
            await self._async_flush_audit(retry=False)
        await self.records.async_stop()
        await self.audit.async_stop()
        if self._filing is not None:
            self._filing.cancel()
            await asyncio.gather(self._filing, return_exceptions=True)
            self._filing = None
            try:  # what a failure leaves pending stays in the database: filed on the next start
                await self.filing.async_flush()
            except Exception:
                _LOGGER.exception("Filing the last evidence photos failed")

    # ----- passages and follow-ups ---------------------------------------------------------------
    async def async_record_passage(
        self, data: RecordPassage, context: Context | None = None
    ) -> dict[str, Any]:
        """Commit the passage row, its photos stored first or with it; returns it once committed."""
        photos: dict[str, str] = {}
        sizes: dict[str, int] = {}
        pending: dict[str, bytes] = {}
        expected = data.read_id or data.passage_id
        self.records.expect_urgent(expected, EXPECT_PASSAGE_SECONDS)  # follow-ups: wait for this
        try:
            # A camera that sent no picture: the record says so by the missing hash.
            images = [(role, content) for role, content in data.images.items() if content]
            if images:
                prepared, refused, spooled = await self._async_prepare_photos(images)
                if refused is not None:
                    raise ServiceValidationError(DOMAIN, "record_passage", [refused])
                for role, digest, content in prepared:
                    photos[role] = digest
                    sizes[digest] = len(content)
                    if spooled:
                        pending[digest] = content
            row = passage_row(data, photos, self.hub.now(), context.user_id if context else None)
            row["_evidence"] = sizes
            row["_pending"] = pending
        finally:
            self.records.expected_done(expected)  # queued just below, or failed
        committed = await self.records.async_append(row, key=data.passage_id, context=context)
        row.pop("_pending", None)
        if pending and not committed.get("duplicate"):
            self.filing.notify(len(pending), sum(sizes.values()))
        return committed

    async def async_record_followup(
        self,
        passage_id: str,
        kind: str,
        data: Mapping[str, Any],
        reason: str | None,
        context: Context | None = None,
    ) -> dict[str, Any]:
        row = await self._async_followup_row(passage_id, kind, data, reason, context)
        return await self.records.async_append(row, context=context, urgent=False)

    async def async_record_followups(
        self, followups: Sequence[RecordFollowup], context: Context | None = None
    ) -> list[dict[str, Any] | ServiceValidationError]:
        """Several follow-ups (a lane's lifecycle steps) appended in their order, in one go.

        Each that is valid goes in; one that is not gets its error in its place. They linger for a
        passage to share its commit: nothing waits for them, and at a busy gate one comes soon."""
        queued: list[asyncio.Future[dict[str, Any]] | ServiceValidationError] = []
        for f in followups:
            try:
                row = await self._async_followup_row(f.passage_id, f.kind, f.data, f.reason, context)
            except ServiceValidationError as err:
                queued.append(err)
            else:
                queued.append(
                    self.records.append_nowait(row, context=context, urgent=False, linger=LINGER_SECONDS)
                )
        return [q if isinstance(q, ServiceValidationError) else await q for q in queued]

    async def _async_followup_row(
        self,
        passage_id: str,
        kind: str,
        data: Mapping[str, Any],
        reason: str | None,
        context: Context | None,
    ) -> dict[str, Any]:
        try:
            payload = (
                FOLLOWUP_DATA[kind].model_validate(dict(data)).model_dump(mode="json", exclude_none=True)
            )
        except ValidationError as err:
            errors = [("data." + ".".join(str(p) for p in e["loc"]), e["msg"]) for e in err.errors()]
            raise ServiceValidationError(DOMAIN, "record_followup", errors) from None
        if kind in REASON_REQUIRED and not (reason and reason.strip()):
            raise ServiceValidationError(DOMAIN, "record_followup", [("reason", f"a {kind} needs a reason")])
        passage = self._recent.get(passage_id)
        if passage is None or self.hub.now().timestamp() - passage["recorded_ts"] > RECENT_SECONDS:
            passage = await self.async_passage(passage_id)
        if passage is None:
            raise ServiceValidationError(
                DOMAIN, "record_followup", [("passage_id", f"no passage {passage_id}")]
            )
        if reason:
            payload["reason"] = reason.strip()
        return followup_row(passage, kind, payload, self.hub.now(), context.user_id if context else None)

    async def async_passage(self, passage_id: str) -> dict[str, Any] | None:
        """The passage row itself (not its follow-ups)."""
        _, rows = await self.conn.execute_query(
            self.sql(f"SELECT {SELECT_LIST} FROM ledger_record WHERE passage_id = ? AND kind = ?"),
            [passage_id, KIND_PASSAGE],
        )
        return record_dict(rows[0]) if rows else None

    def _on_plate_read(self, event: Event) -> None:
        # The policy decides and records this read within milliseconds: follow-ups give it way.
        self.records.expect_urgent(str(event.data.get("read_id") or event.context.id), EXPECT_PASSAGE_SECONDS)

    async def _async_prepare_photos(
        self, images: list[tuple[str, bytes]]
    ) -> tuple[list[tuple[str, str, bytes]], tuple[str, str] | None, bool]:
        """(role, sha256, content) per photo, or the first refused one (field, why); and whether
        they travel in the passage's transaction (small photos: hashed on the loop, one disk flush
        for row and photos) or were stored as files already (larger ones, on a worker thread: in the
        database log they would be written twice more, and under load the disk is what is short)."""
        if sum(len(content) for _, content in images) <= SPOOL_PHOTO_BYTES:
            return (*_prepare_photos(images), True)
        return (*await self.hub.async_add_executor_job(self._store_photos, images), False)

    def _store_photos(
        self, images: list[tuple[str, bytes]]
    ) -> tuple[list[tuple[str, str, bytes]], tuple[str, str] | None]:
        prepared, refused = _prepare_photos(images)
        if refused is None:
            self.evidence.put_many([(sha, c) for _, sha, c in prepared if self.evidence.check(sha) != "ok"])
        return prepared, refused

    def _index_evidence(self, rows: list[dict[str, Any]]) -> Statements:
        """Which rows use which photo, and the photos not yet filed, in the transaction of the rows
        (run on the writer's thread)."""
        values: list[Sequence[Any]] = [
            (sha, size, row["seq"], row["seq"])
            for row in rows
            for sha, size in row.get("_evidence", {}).items()
        ]
        photos: list[Sequence[Any]] = [item for row in rows for item in row.get("_pending", {}).items()]
        statements: Statements = [(self._evidence_sql, values)] if values else []
        return [*statements, (self._pending_sql, photos)] if photos else statements

    async def async_photo(self, sha256: str) -> bytes:
        """A passage photo, filed or pending, only while it keeps its hash (LookupError otherwise)."""
        try:
            return await self.hub.async_add_executor_job(self.evidence.read_verified, sha256)
        except LookupError as err:
            if "missing" not in str(err):
                raise
        pending = await async_pending(self.conn, self.dialect, [sha256])
        if sha256 not in pending:  # filed meanwhile, or missing indeed
            return await self.hub.async_add_executor_job(self.evidence.read_verified, sha256)
        content = pending[sha256]
        if await self.hub.async_add_executor_job(state_of, sha256, content) != "ok":
            raise LookupError(f"photo {sha256[:12]}… was changed in the database")
        return content

    async def async_photo_states(self, shas: Sequence[str]) -> dict[str, EvidenceState]:
        return await async_photo_states(
            self.conn, self.dialect, self.evidence, self.hub.async_add_executor_job, shas
        )

    def _committed(self, committed: list[tuple[dict[str, Any], Context | None]]) -> None:
        batch_context = Context()  # for rows appended without one (a replay): one chain of cause
        # Looked up once: a bulk append (a replay, an import) brings a thousand rows at a time.
        recent, note, fire = self._recent, self.weights.async_note, self.hub.bus.async_fire
        for row, context in committed:
            row.pop("_evidence", None)
            record = committed_record(row)
            kind = record["kind"]
            if kind == KIND_CHECKPOINT:
                continue  # retention's bookkeeping, not a passage: readers of the chain still see it
            if kind == KIND_PASSAGE:
                recent[record["passage_id"]] = {k: record[k] for k in PASSAGE_KEYS}
                if len(recent) > RECENT_PASSAGES:
                    recent.popitem(last=False)
            note(record)
            fire(EVENT_PASSAGE_RECORDED, record, context or batch_context)

    # ----- audit log -----------------------------------------------------------------------------
    def audit_nowait(self, *, action: str, door: str, outcome: str = "ok", **fields: Any) -> None:
        """Queue an audit entry without waiting for its commit (from bus listeners). One the log
        cannot take now is spooled and written, in order, once it can."""
        row = self._audit_row(action=action, door=door, outcome=outcome, **fields)
        if self.audit_spool:  # older rows wait: this one goes behind them
            self._spool_audit(row)
            return
        self.hub.async_create_task(self._async_audit_or_spool(row))

    async def _async_audit_or_spool(self, row: dict[str, Any]) -> None:
        try:
            await self.audit.async_append(row, urgent=False)
        except Exception as err:
            self._log.log("audit", logging.ERROR, "Audit row %s kept to write later: %s", row["action"], err)
            self._spool_audit(row)

    def _spool_audit(self, row: dict[str, Any]) -> None:
        self.audit_spool.put(row)
        if self._audit_flush is None or self._audit_flush.done():
            self._audit_flush = self.hub.async_create_background_task(
                self._async_flush_audit(), name="audit spool"
            )

    async def _async_flush_audit(self, retry: bool = True) -> None:
        written = 0
        while self.audit_spool:
            row = self.audit_spool.take()
            try:
                await self.audit.async_append(row, urgent=False)
            except Exception as err:
                self.audit_spool.put_front(row)
                if not retry:
                    count = len(self.audit_spool)
                    _LOGGER.error("%d audit row(s) could not be written at stop: %s", count, err)
                    return
                self._log.log("audit", logging.ERROR, "Spooled audit rows still not written: %s", err)
                await asyncio.sleep(SPOOL_RETRY_SECONDS)
            else:
                written += 1
        if written:
            _LOGGER.warning("%d spooled audit row(s) written", written)

    def _trouble(self, chain: str, err: Exception | None) -> None:
        """A chain's commits fail (a full disk, a lock held by another process) or work again. Both
        chains live in one database: a commit of either means it takes rows again."""
        if err is None:
            if not self._troubles:
                return
            self._troubles.clear()
        else:
            self._troubles[chain] = f"the {chain} cannot record 台账无法写入: {err}"
        problems = problems_of(self.hub)
        if self._troubles:
            problems.raise_(PROBLEM_LEDGER, "; ".join(self._troubles.values()))
        else:
            problems.clear(PROBLEM_LEDGER)

    async def async_audit(
        self,
        *,
        action: str,
        door: str,
        outcome: str = "ok",
        user_id: str | None = None,
        target: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        row = self._audit_row(
            action=action, door=door, outcome=outcome, user_id=user_id, target=target, detail=detail
        )
        return await self.audit.async_append(row, urgent=False)

    def _audit_row(
        self,
        *,
        action: str,
        door: str,
        outcome: str,
        user_id: str | None = None,
        target: str | None = None,
        detail: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        user = self.hub.auth.get(user_id) if user_id else None
        return audit_row(
            self.hub.now(),
            action=action,
            door=door,
            outcome=outcome,
            user_id=user_id,
            username=user.username if user else None,
            target=target,
            detail=detail,
        )

    def async_on_weight(self, event: Event) -> None:
        self.weights.async_on_weight(event)
