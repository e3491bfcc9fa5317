"""The ledger at run time: records passages and follow-ups, writes the audit log."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any, cast

from pydantic import ValidationError

from hub.core import Context, Hub, ServiceValidationError
from hub.core.const import EVENT_PASSAGE_RECORDED
from hub.core.events import PassageRecordedData
from hub.core.faults import Spool, ThrottledLog, problems_of
from hub.core.photos import PhotoRef, PhotoState

from .audit import audit_row
from .chain import AUDIT_CHAIN, RECORD_CHAIN
from .config import LedgerConfig
from .const import DOMAIN, HEAD_FILE, KIND_CHECKPOINT, KIND_PASSAGE
from .legacy import async_file_legacy_photos
from .rows import SELECT_LIST, committed_record, followup_row, passage_row, record_dict
from .schemas import FOLLOWUP_DATA, REASON_REQUIRED, RecordFollowup, RecordPassage
from .sql import for_dialect
from .writer import ChainWriter, Dedupe, Statements

_LOGGER = logging.getLogger(__name__)
RECENT_PASSAGES = 4096  # committed passages kept in memory for their follow-ups
RECENT_SECONDS = 86_400  # older ones are read from the database (retention may have pruned them)
PASSAGE_KEYS = ("passage_id", "seq", "gate", "lane", "direction", "recorded_ts")  # for followup_row
SPOOL_RETRY_SECONDS = 1.0  # audit rows that could not be written are tried again this often
PROBLEM_LEDGER = "ledger"  # in the hub's Problems while a chain cannot commit


class Ledger:
    """One per hub (and one per command-line run, which has no bus listeners)."""

    def __init__(self, hub: Hub, config: LedgerConfig) -> None:
        assert hub.db is not None, "the ledger needs the hub's database open"
        self.hub = hub
        self.config = config
        self.dialect = hub.db.dialect
        self.photos = hub.photos  # the hub's one home of photos: rows name them by hash
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
        self.audit = ChainWriter(
            AUDIT_CHAIN,
            self.dialect,
            head_file=hub.data_dir / HEAD_FILE.format(chain="audit"),
            run_blocking=hub.async_add_executor_job,
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
        # What a follow-up needs of its passage, for passages committed by this run: no query then.
        self._recent: OrderedDict[str, dict[str, Any]] = OrderedDict()

    @property
    def conn(self) -> Any:
        assert self.hub.db is not None
        return self.hub.db.connection

    def sql(self, text: str) -> str:
        return for_dialect(self.dialect, text)

    async def async_start(self) -> None:
        # Photos an earlier release kept in the database until it filed them: filed now, once.
        await async_file_legacy_photos(self.conn, self.dialect, self.photos, self.hub.async_add_executor_job)
        self.records.start()
        self.audit.start()

    async def async_stop(self) -> None:
        if self._audit_flush is not None:
            self._audit_flush.cancel()
            await asyncio.gather(self._audit_flush, return_exceptions=True)
        if self.audit_spool:  # one last try; what still fails is named in the log, never silent
            await self._async_flush_audit(retry=False)
        await self.records.async_stop()
        await self.audit.async_stop()

    # ----- passages and follow-ups ---------------------------------------------------------------
    async def async_record_passage(
        self, data: RecordPassage, context: Context | None = None
    ) -> dict[str, Any]:
        """Commit the passage row once the photos it names are on disk; returns it once committed.

        Photos come as references to the hub's photo store (a camera put them there); photos in hand
        (`images`) are put there first. Photos the store still keeps in memory are written first: while
        the disk refuses them the row is refused too (OSError), and the caller keeps the read."""
        refs = {role: PhotoRef(sha256=ref.sha256, size=ref.size) for role, ref in data.photos.items()}
        if data.images:
            try:
                refs.update(await self.photos.async_put(data.images))
            except ValueError as err:
                role, _, why = str(err).partition(": ")
                raise ServiceValidationError(DOMAIN, "record_passage", [(f"images.{role}", why)]) from None
        missing = await self.photos.async_ensure(refs)
        if missing:
            errors = [(f"photos.{role}", "no such photo in the photo store") for role in missing]
            raise ServiceValidationError(DOMAIN, "record_passage", errors)
        photos = {role: ref["sha256"] for role, ref in refs.items()}
        row = passage_row(data, photos, self.hub.now(), context.user_id if context else None)
        row["_evidence"] = {ref["sha256"]: ref["size"] for ref in refs.values()}
        return await self.records.async_append(row, key=data.passage_id, context=context)

    async def async_record_followup(
        self,
        passage_id: str,
        kind: str,
        data: Mapping[str, Any],
        reason: str | None,
        context: Context | None = None,
    ) -> dict[str, Any]:
        row = await self._async_followup_row(passage_id, kind, data, reason, context)
        return await self.records.async_append(row, context=context)

    async def async_record_followups(
        self, followups: Sequence[RecordFollowup], context: Context | None = None
    ) -> list[dict[str, Any] | ServiceValidationError]:
        """Several follow-ups (a lane's lifecycle steps) appended in their order, in one go.

        Each that is valid goes in; one that is not gets its error in its place."""
        rows: list[dict[str, Any] | ServiceValidationError] = []
        for f in followups:
            try:
                rows.append(await self._async_followup_row(f.passage_id, f.kind, f.data, f.reason, context))
            except ServiceValidationError as err:
                rows.append(err)
        # Queued together, in order: they share a commit.
        queued = [
            r
            if isinstance(r, ServiceValidationError)
            else asyncio.ensure_future(self.records.async_append(r, context=context))
            for r in rows
        ]
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

    def _index_evidence(self, rows: list[dict[str, Any]]) -> Statements:
        """Which rows use which photo, in the transaction of the rows."""
        values: list[Sequence[Any]] = [
            (sha, size, row["seq"], row["seq"])
            for row in rows
            for sha, size in row.get("_evidence", {}).items()
        ]
        return [(self._evidence_sql, values)] if values else []

    async def async_photo(self, sha256: str) -> bytes:
        """A passage photo, only while it keeps its hash (LookupError otherwise)."""
        return await self.photos.async_read(sha256)

    async def async_photo_states(self, shas: Sequence[str]) -> dict[str, PhotoState]:
        wanted = sorted(set(shas))
        return await self.hub.async_add_executor_job(self._photo_states, wanted)

    def _photo_states(self, shas: list[str]) -> dict[str, PhotoState]:
        return {sha: self.photos.check(sha) for sha in shas}

    def _committed(self, committed: list[tuple[dict[str, Any], Context | None]]) -> None:
        batch_context = Context()  # for rows appended without one (a replay): one chain of cause
        # Looked up once: a bulk append (a replay, an import) brings a thousand rows at a time.
        recent, fire = self._recent, self.hub.bus.async_fire
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
            # A row as record_dict shapes it: its keys are PassageRecordedData's (ledger/rows.py).
            fire(EVENT_PASSAGE_RECORDED, cast(PassageRecordedData, record), context or batch_context)

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
            await self.audit.async_append(row)
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
                await self.audit.async_append(row)
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
        return await self.audit.async_append(row)

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
