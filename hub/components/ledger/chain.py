"""The hash chain, pure: canonical encoding of a row, sealing, and checking a run of rows.

A row's hash is SHA-256 over a canonical encoding of every column except the hash itself, the previous
row's hash included. Changing, deleting, inserting or reordering rows therefore breaks the chain at the
first row touched; `check_rows` names that row and says what is wrong with it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]  # C, not in typeshed
from typing import Any

FORMAT = "ecogate-chain-v1"

RECORD_COLUMNS: tuple[str, ...] = (
    "seq", "kind", "passage_id", "ref_seq", "recorded_ts", "recorded_at", "gate", "lane", "direction",
    "plate", "colour", "vehicle_class", "emission_stage", "fuel", "fleet", "decision", "reason_code",
    "status", "actor", "photo_plate", "photo_scene", "rfid", "data", "prev_hash",
)  # fmt: skip
# Columns added after rows were written: hashed only when set, so a row without one (every row written
# before the column existed) hashes as it always did.
LATE_RECORD_COLUMNS: tuple[str, ...] = ("rfid",)
AUDIT_COLUMNS: tuple[str, ...] = (
    "seq", "at_ts", "at", "user_id", "username", "door", "action", "outcome", "target", "detail",
    "prev_hash",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ChainSpec:
    name: str  # "record" or "audit": part of the encoding, so rows cannot move between chains
    table: str
    columns: tuple[str, ...]
    json_column: str
    late: frozenset[int] = frozenset()  # positions in `columns` hashed only when not None


def _hashed(spec: ChainSpec, values: Sequence[Any]) -> list[Any]:
    out = [FORMAT, spec.name, *values]
    for at in sorted(spec.late, reverse=True):  # one or two positions: cheaper than filtering every value
        if at < len(values) and values[at] is None:
            del out[at + 2]
    return out


_LATE_AT = frozenset(map(RECORD_COLUMNS.index, LATE_RECORD_COLUMNS))
RECORD_CHAIN = ChainSpec("record", "ledger_record", RECORD_COLUMNS, "data", _LATE_AT)
AUDIT_CHAIN = ChainSpec("audit", "ledger_audit", AUDIT_COLUMNS, "detail")


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        raise TypeError("bytes do not belong in a ledger record; store them as evidence")
    if isinstance(value, set | frozenset | tuple):
        return sorted(value) if isinstance(value, set | frozenset) else list(value)
    raise TypeError(f"cannot encode {type(value).__name__} in a ledger record")


# Encoders built once (json.dumps builds one per call); the same settings give the same text as
# json.dumps would, so hashes of rows written by earlier releases still match.
_CANONICAL = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=_plain)
_LINK = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _link_encoder() -> Callable[[list[Any]], str]:
    """`_LINK.encode` for the flat list that is hashed, minus what it redoes on every call.

    `JSONEncoder.encode` builds a C encoder for each call, which costs about as much as encoding a
    row; this one is built once, with the very settings `encode` passes, so the text is the same
    byte for byte. No circular-reference markers: a row is a flat list of scalars, and a shared
    markers dict would be shared between the event loop and the database thread as well. Without
    the C accelerator (an unusual build) it is `_LINK.encode` itself.
    """
    if c_make_encoder is None:
        return _LINK.encode
    chunks = c_make_encoder(None, _LINK.default, encode_basestring, None, ":", ",", False, False, True)

    def encode(value: list[Any]) -> str:
        return "".join(chunks(value, 0))

    return encode


_encode_link = _link_encoder()


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 text kept as is: the same data always gives the same text."""
    return _CANONICAL.encode(value)


def row_hash(spec: ChainSpec, values: Sequence[Any]) -> str:
    """Hash of one row; `values` in `spec.columns` order (prev_hash last)."""
    encoded = _encode_link(_hashed(spec, values))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def seal(spec: ChainSpec, row: dict[str, Any], seq: int, prev_hash: str) -> tuple[Any, ...]:
    """Give a row its place in the chain; returns the column values with the hash appended."""
    row["seq"] = seq
    row["prev_hash"] = prev_hash
    values = tuple(map(row.get, spec.columns))
    digest = hashlib.sha256(_encode_link(_hashed(spec, values)).encode("utf-8")).hexdigest()
    row["hash"] = digest
    return (*values, digest)


@dataclass(frozen=True, slots=True)
class Fault:
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"seq {self.seq}: {self.reason}"


@dataclass(slots=True)
class Cursor:
    """Where a walk along the chain stands: the next expected seq and the hash it must link to."""

    next_seq: int
    prev_hash: str
    rows: int = 0


def check_rows(spec: ChainSpec, rows: Iterable[Sequence[Any]], cursor: Cursor) -> Fault | None:
    """Walk rows (column values then hash, in seq order) from `cursor`; the first fault, or None."""
    width = len(spec.columns)
    for row in rows:
        values, stored = tuple(row[:width]), row[width]
        seq = int(values[0])
        if seq > cursor.next_seq:
            missing = f"{cursor.next_seq}" if seq == cursor.next_seq + 1 else f"{cursor.next_seq}..{seq - 1}"
            return Fault(cursor.next_seq, f"row(s) {missing} missing before seq {seq} (deleted)")
        if seq < cursor.next_seq:
            return Fault(seq, f"seq {seq} appears again or out of order after {cursor.next_seq - 1}")
        if row_hash(spec, values) != stored:
            return Fault(seq, "content does not match its hash (row edited or moved)")
        if values[-1] != cursor.prev_hash:
            return Fault(seq, "does not link to the row before it (a row inserted, replaced or reordered)")
        cursor.next_seq = seq + 1
        cursor.prev_hash = stored
        cursor.rows += 1
    return None
