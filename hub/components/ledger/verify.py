"""`verify`: walk both chains from their start (or the retention checkpoint) and the photo files.

Reports the first bad row: an edited row fails its own hash, a deleted row leaves a gap in seq, an
inserted or reordered row does not link to its predecessor, a changed or missing photo fails its file
check, rows cut off the end fall short of the head kept beside the database.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.core.photos import PhotoStore

from .chain import AUDIT_CHAIN, RECORD_CHAIN, ChainSpec, Cursor, Fault, check_rows
from .const import GENESIS_HASH, HEAD_FILE, KIND_CHECKPOINT
from .sql import for_dialect

CHUNK = 5000
RunBlocking = Callable[..., Awaitable[Any]]


@dataclass(slots=True)
class ChainReport:
    chain: str
    rows: int = 0
    first_seq: int | None = None
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    photos_checked: int = 0
    fault: Fault | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.fault is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "chain": self.chain, "ok": self.ok, "rows": self.rows, "first_seq": self.first_seq,
            "head_seq": self.head_seq, "head_hash": self.head_hash, "photos_checked": self.photos_checked,
            "bad_seq": self.fault.seq if self.fault else None,
            "problem": self.fault.reason if self.fault else None, "notes": self.notes,
        }  # fmt: skip

    def __str__(self) -> str:
        if self.fault:
            return f"{self.chain}: FAILED at {self.fault}"
        span = f"seq {self.first_seq}..{self.head_seq}" if self.rows else "empty"
        photos = f", {self.photos_checked} photos" if self.chain == "record" else ""
        return f"{self.chain}: ok, {self.rows} rows ({span}), head {self.head_hash[:16]}…{photos}"


def _check_chunk(
    spec: ChainSpec,
    rows: Sequence[Sequence[Any]],
    cursor: Cursor,
    report: ChainReport,
    evidence: PhotoStore | None,
    watch: dict[int, Callable[[Sequence[Any]], str | None]],
) -> Fault | None:
    """Blocking: hashes, links, photo files and watched rows of one chunk, row by row."""
    width = len(spec.columns)
    for row in rows:
        fault = check_rows(spec, [row], cursor)
        if fault:
            return fault
        seq = int(row[0])
        if report.first_seq is None:
            report.first_seq = seq
        report.head_seq, report.head_hash = seq, row[width]
        if seq in watch and (problem := watch[seq](row)):
            return Fault(seq, problem)
        if evidence is not None:
            photos = json.loads(row[spec.columns.index(spec.json_column)]).get("photos") or {}
            for role, sha in sorted(photos.items()):
                state = evidence.check(sha)
                report.photos_checked += 1
                if state != "ok":
                    return Fault(seq, f"{role} photo {sha[:16]}… is {state}")
    return None


async def async_verify_chain(
    conn: Any,
    dialect: str,
    spec: ChainSpec,
    run_blocking: RunBlocking,
    *,
    data_dir: Path,
    evidence: PhotoStore | None = None,
) -> ChainReport:
    report = ChainReport(spec.name)
    cursor = Cursor(1, GENESIS_HASH)
    watch: dict[int, Callable[[Sequence[Any]], str | None]] = {}
    anchor = await _anchor(conn, dialect) if spec is RECORD_CHAIN else None
    if anchor is not None:
        through, digest, checkpoint_seq = anchor
        cursor = Cursor(through + 1, digest)
        watch[checkpoint_seq] = lambda row: _matches_anchor(spec, row, through, digest)
        report.notes.append(f"rows up to seq {through} pruned by retention (checkpoint row {checkpoint_seq})")
    select = for_dialect(
        dialect,
        f'SELECT {", ".join(spec.columns)}, hash FROM "{spec.table}" '
        f"WHERE seq >= ? ORDER BY seq LIMIT {CHUNK}",
    )
    # Read before the walk: the hub may go on appending meanwhile, and rows only grow at the end.
    head = _read_head(data_dir / HEAD_FILE.format(chain=spec.name), report)
    next_from = 0
    while True:
        _, rows = await conn.execute_query(select, [next_from])
        if not rows:
            break
        rows = [tuple(r) for r in rows]
        fault = await run_blocking(_check_chunk, spec, rows, cursor, report, evidence, watch)
        if fault and anchor is not None and report.first_seq is None:
            reason = f"{fault.reason}; the chain does not continue from the retention checkpoint"
            fault = Fault(fault.seq, reason)
        if fault:
            report.fault = fault
            return report
        next_from = int(rows[-1][0]) + 1
    report.rows = cursor.rows
    if anchor is not None and anchor[2] > report.head_seq:
        report.fault = Fault(anchor[2], "the retention checkpoint row is missing")
    elif anchor is not None and report.rows == 0:
        report.fault = Fault(anchor[0] + 1, "no rows after the retention checkpoint")
    else:
        report.fault = await _check_head(conn, dialect, spec, head, report)
    return report


async def _anchor(conn: Any, dialect: str) -> tuple[int, str, int] | None:
    _, rows = await conn.execute_query(
        for_dialect(
            dialect,
            "SELECT through_seq, hash, checkpoint_seq FROM ledger_checkpoint ORDER BY id DESC LIMIT 1",
        )
    )
    return (int(rows[0][0]), str(rows[0][1]), int(rows[0][2])) if rows else None


def _matches_anchor(spec: ChainSpec, row: Sequence[Any], through: int, digest: str) -> str | None:
    kind = row[spec.columns.index("kind")]
    data = json.loads(row[spec.columns.index("data")])
    if kind != KIND_CHECKPOINT or data.get("through_seq") != through or data.get("hash") != digest:
        return "the retention checkpoint table does not match this checkpoint row"
    return None


def _read_head(path: Path, report: ChainReport) -> tuple[int, str] | None:
    try:
        head = json.loads(path.read_text(encoding="utf-8"))
        return int(head["seq"]), str(head["hash"])
    except FileNotFoundError:
        report.notes.append(f"{path.name} not found: rows cut off the end cannot be noticed")
    except (ValueError, KeyError, TypeError):
        report.notes.append(f"{path.name} unreadable: rows cut off the end cannot be noticed")
    return None


async def _check_head(
    conn: Any, dialect: str, spec: ChainSpec, head: tuple[int, str] | None, report: ChainReport
) -> Fault | None:
    if head is None:
        return None
    seq, digest = head
    if seq > report.head_seq:
        return Fault(
            report.head_seq + 1, f"rows {report.head_seq + 1}..{seq} were removed from the end of the chain"
        )
    _, rows = await conn.execute_query(
        for_dialect(dialect, f'SELECT hash FROM "{spec.table}" WHERE seq = ?'), [seq]
    )
    if rows and rows[0][0] != digest:
        return Fault(seq, "differs from the row committed at this seq (the chain was rewritten from here)")
    return None


async def async_verify(
    conn: Any, dialect: str, run_blocking: RunBlocking, data_dir: Path, evidence: PhotoStore | None
) -> list[ChainReport]:
    return [
        await async_verify_chain(
            conn, dialect, RECORD_CHAIN, run_blocking, data_dir=data_dir, evidence=evidence
        ),
        await async_verify_chain(conn, dialect, AUDIT_CHAIN, run_blocking, data_dir=data_dir),
    ]


def print_verdict(result: dict[str, Any], *, as_json: bool) -> None:
    """What `ledger.verify` answered, as a person reads it (or as JSON)."""
    ok = bool(result["ok"])
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    for chain in result["chains"]:
        fault = Fault(chain["bad_seq"], chain["problem"]) if chain.get("problem") else None
        fields = ("chain", "rows", "first_seq", "head_seq", "head_hash", "photos_checked", "notes")
        print(ChainReport(**{k: chain[k] for k in fields}, fault=fault))
        for note in chain["notes"]:
            print(f"  note: {note}")
    print("校验通过 verified" if ok else "校验失败 VERIFY FAILED", file=sys.stdout if ok else sys.stderr)
