"""The ledger at run time: records passages and follow-ups, writes the audit log, joins weights."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from hub.core import Context, Event, Hub, ServiceValidationError
from hub.core.const import EVENT_PASSAGE_RECORDED

from .audit import audit_row
from .chain import AUDIT_CHAIN, RECORD_CHAIN
from .config import LedgerConfig
from .const import DOMAIN, EVIDENCE_DIR, HEAD_FILE, KIND_CHECKPOINT, KIND_PASSAGE
from .evidence import EvidenceStore
from .rows import SELECT_LIST, followup_row, passage_row, record_dict
from .schemas import FOLLOWUP_DATA, REASON_REQUIRED, RecordPassage
from .sql import for_dialect
from .weights import LaneWeights
from .writer import ChainWriter

_LOGGER = logging.getLogger(__name__)


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
            dedupe=self._dedupe,
            after_insert=self._index_evidence,
            on_commit=self._committed,
        )
        self.audit = ChainWriter(
            AUDIT_CHAIN, self.dialect, head_file=hub.data_dir / HEAD_FILE.format(chain="audit")
        )
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

    async def async_stop(self) -> None:
        await self.records.async_stop()
        await self.audit.async_stop()

    # ----- passages and follow-ups ---------------------------------------------------------------
    async def async_record_passage(
        self, data: RecordPassage, context: Context | None = None
    ) -> dict[str, Any]:
        """Store the photos, then commit the passage row; returns it once committed."""
        photos: dict[str, str] = {}
        sizes: dict[str, int] = {}
        for role, content in data.images.items():
            if not content:
                continue  # a camera that sent no picture: the record says so by the missing hash
            try:
                photos[role] = await self.hub.async_add_executor_job(self.evidence.put, content)
            except ValueError as err:
                raise ServiceValidationError(
                    DOMAIN, "record_passage", [(f"images.{role}", str(err))]
                ) from None
            sizes[photos[role]] = len(content)
        row = passage_row(data, photos, self.hub.now(), context.user_id if context else None)
        row["_evidence"] = sizes
        return await self.records.async_append(row, key=data.passage_id, context=context)

    async def async_record_followup(
        self,
        passage_id: str,
        kind: str,
        data: Mapping[str, Any],
        reason: str | None,
        context: Context | None = None,
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
        passage = await self.async_passage(passage_id)
        if passage is None:
            raise ServiceValidationError(
                DOMAIN, "record_followup", [("passage_id", f"no passage {passage_id}")]
            )
        if reason:
            payload["reason"] = reason.strip()
        row = followup_row(passage, kind, payload, self.hub.now(), context.user_id if context else None)
        return await self.records.async_append(row, context=context)

    async def async_passage(self, passage_id: str) -> dict[str, Any] | None:
        """The passage row itself (not its follow-ups)."""
        _, rows = await self.conn.execute_query(
            self.sql(f"SELECT {SELECT_LIST} FROM ledger_record WHERE passage_id = ? AND kind = ?"),
            [passage_id, KIND_PASSAGE],
        )
        return record_dict(rows[0]) if rows else None

    async def _dedupe(self, conn: Any, keys: list[str]) -> dict[str, dict[str, Any]]:
        marks = ", ".join("?" for _ in keys)
        _, rows = await conn.execute_query(
            self.sql(
                f"SELECT passage_id, seq, hash FROM ledger_record WHERE kind = ? AND passage_id IN ({marks})"
            ),
            [KIND_PASSAGE, *keys],
        )
        return {r[0]: {"passage_id": r[0], "seq": int(r[1]), "hash": r[2]} for r in rows}

    async def _index_evidence(self, conn: Any, rows: list[dict[str, Any]]) -> None:
        values = [
            [sha, size, row["seq"], row["seq"]]
            for row in rows
            for sha, size in row.get("_evidence", {}).items()
        ]
        if values:
            await conn.execute_many(
                self.sql(
                    "INSERT INTO ledger_evidence (sha256, size, first_seq, last_seq) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (sha256) DO UPDATE SET last_seq = excluded.last_seq"
                ),
                values,
            )

    def _committed(self, committed: list[tuple[dict[str, Any], Context | None]]) -> None:
        batch_context = Context()  # for rows appended without one (a replay): one chain of cause
        for row, context in committed:
            row.pop("_evidence", None)
            record = record_dict(row)
            if record["kind"] == KIND_CHECKPOINT:
                continue  # retention's bookkeeping, not a passage: readers of the chain still see it
            self.weights.async_note(record)
            self.hub.bus.async_fire(EVENT_PASSAGE_RECORDED, record, context or batch_context)

    # ----- audit log -----------------------------------------------------------------------------
    def audit_nowait(self, *, action: str, door: str, outcome: str = "ok", **fields: Any) -> None:
        """Queue an audit entry without waiting for its commit (from bus listeners)."""
        self.hub.async_create_task(self.async_audit(action=action, door=door, outcome=outcome, **fields))

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
        user = self.hub.auth.get(user_id) if user_id else None
        row = audit_row(
            self.hub.now(),
            action=action,
            door=door,
            outcome=outcome,
            user_id=user_id,
            username=user.username if user else None,
            target=target,
            detail=detail,
        )
        return await self.audit.async_append(row)

    def async_on_weight(self, event: Event) -> None:
        self.weights.async_on_weight(event)
