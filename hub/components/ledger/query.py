"""Searching the ledger and the audit log: filters to SQL, counted, paginated, sorted.

Passages come back as they stand now: the corrected plate, released or not and by whom, the weight,
cargo and acceptance, all gathered from their follow-up rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from .const import KIND_PASSAGE
from .rows import SELECT_LIST, record_dict
from .schemas import AuditQuery, PassageQuery
from .sql import for_dialect, like_pattern

_PASSAGE_SORT = {
    "recorded_at": "p.recorded_ts ASC, p.seq ASC", "-recorded_at": "p.recorded_ts DESC, p.seq DESC",
    "plate": "p.plate ASC, p.seq ASC", "-plate": "p.plate DESC, p.seq DESC",
    "seq": "p.seq ASC", "-seq": "p.seq DESC",
}  # fmt: skip
_AUDIT_SORT = {
    "at": "at_ts ASC, seq ASC",
    "-at": "at_ts DESC, seq DESC",
    "seq": "seq ASC",
    "-seq": "seq DESC",
}
_RELEASED = "EXISTS (SELECT 1 FROM ledger_record r WHERE r.passage_id = p.passage_id AND r.kind = 'release')"


# The plates the ledger holds, one index seek each (a loose index scan: SQLite and PostgreSQL alike):
# a plant has thousands of plates and millions of rows, so part of a plate is matched against the
# plates, and their rows are then found by the plate index (bench/hmi_pages.py: 4 s -> 0.04 s).
_PLATES_LIKE = (
    "WITH RECURSIVE plates(v) AS (SELECT min(plate) FROM ledger_record UNION ALL "
    "SELECT (SELECT min(plate) FROM ledger_record WHERE plate > plates.v) FROM plates WHERE v IS NOT NULL) "
    "SELECT v FROM plates WHERE v LIKE ? ESCAPE '\\' LIMIT ?"
)
MAX_CONTAINS_PLATES = 500  # more plates share the part (a province's letter): the rows are read as before


async def async_plates_like(conn: Any, dialect: str, part: str) -> list[str] | None:
    """The plates containing `part` (read or corrected), or None when too many do to list them."""
    _, rows = await conn.execute_query(
        for_dialect(dialect, _PLATES_LIKE), [like_pattern(part), MAX_CONTAINS_PLATES + 1]
    )
    plates = [str(r[0]) for r in rows]
    return plates if len(plates) <= MAX_CONTAINS_PLATES else None


def passage_where(q: PassageQuery, contains: list[str] | None = None) -> tuple[str, list[Any]]:
    """The WHERE of a passage search; `contains`: the plates matching `plate_contains`, when listed."""
    clauses: list[str] = ["p.kind = ?"]
    args: list[Any] = [KIND_PASSAGE]
    if q.plate_contains and contains is not None:
        clauses[0] = "p.kind || '' = ?"  # the plate index, as for an exact plate below
        marks = ", ".join("?" for _ in contains) or "NULL"
        clauses.append(
            "p.passage_id IN (SELECT c.passage_id FROM ledger_record c "
            f"WHERE c.plate IN ({marks}) AND c.kind IN ('passage', 'correction'))"
        )
        args += contains
    if q.plate:
        # The plate as read, or as a guard corrected it: the plate index finds its rows. `kind || ''`
        # keeps SQLite from walking the kind index instead (every passage of two years, newest first,
        # looking for a plate that may have none: seconds instead of milliseconds).
        clauses[0] = "p.kind || '' = ?"
        clauses.append(
            "p.passage_id IN (SELECT c.passage_id FROM ledger_record c "
            "WHERE c.plate = ? AND c.kind IN ('passage', 'correction'))"
        )
        args.append(q.plate)
    if q.plate_contains and contains is None:
        # The same two places as an exact plate: a guard's correction is found by part of it too.
        clauses.append(
            "(p.plate LIKE ? ESCAPE '\\' OR p.passage_id IN (SELECT c.passage_id FROM ledger_record c "
            "WHERE c.plate LIKE ? ESCAPE '\\' AND c.kind = 'correction'))"
        )
        args += [like_pattern(q.plate_contains)] * 2
    if q.start:
        clauses.append("p.recorded_ts >= ?")
        args.append(int(q.start.timestamp()))
    if q.end:
        clauses.append("p.recorded_ts < ?")
        args.append(int(q.end.timestamp()))
    for column in (
        "passage_id",
        "gate",
        "lane",
        "direction",
        "vehicle_class",
        "emission_stage",
        "fuel",
        "decision",
        "fleet",
    ):
        value = getattr(q, column)
        if value is not None:
            clauses.append(f"p.{column} = ?")
            args.append(value)
    if q.released is not None:
        clauses.append(_RELEASED if q.released else f"NOT {_RELEASED}")
    return " AND ".join(clauses), args


async def async_query_passages(conn: Any, dialect: str, q: PassageQuery) -> dict[str, Any]:
    contains = await async_plates_like(conn, dialect, q.plate_contains) if q.plate_contains else None
    where, args = passage_where(q, contains)
    _, count = await conn.execute_query(
        for_dialect(dialect, f"SELECT count(*) FROM ledger_record p WHERE {where}"), args
    )
    columns = ", ".join(f"p.{c}" for c in SELECT_LIST.split(", "))
    _, rows = await conn.execute_query(
        for_dialect(
            dialect,
            f"SELECT {columns} FROM ledger_record p WHERE {where} "
            f"ORDER BY {_PASSAGE_SORT[q.sort]} LIMIT ? OFFSET ?",
        ),
        [*args, q.page_size, (q.page - 1) * q.page_size],
    )
    items = [record_dict(r) for r in rows]
    await async_merge_followups(conn, dialect, items)
    return {"total": int(count[0][0]), "page": q.page, "page_size": q.page_size, "items": items}


async def async_merge_followups(conn: Any, dialect: str, passages: list[dict[str, Any]]) -> None:
    """Fold each passage's follow-up rows into it, in chain order (a later correction wins)."""
    if not passages:
        return
    by_id = {p["passage_id"]: p for p in passages}
    for p in passages:
        p.update(original_plate=p["plate"], released=False, followups=[])
    ids = list(by_id)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        _, rows = await conn.execute_query(
            for_dialect(
                dialect,
                f"SELECT passage_id, seq, kind, recorded_at, actor, data FROM ledger_record "
                f"WHERE passage_id IN ({marks}) AND kind <> ? ORDER BY seq",
            ),
            [*chunk, KIND_PASSAGE],
        )
        for passage_id, seq, kind, at, actor, data in rows:
            apply_followup(by_id[passage_id], int(seq), kind, at, actor, json.loads(data))


CORRECTED = ("decision", "reason_code", "reason_text", "rule", "alert_level", "vehicle_class")


def apply_followup(
    passage: dict[str, Any], seq: int, kind: str, at: str, actor: str | None, data: dict[str, Any]
) -> None:
    passage["followups"].append({"seq": seq, "kind": kind, "recorded_at": at, "actor": actor, **data})
    if kind == "correction":
        # The passage as it stands now: the corrected plate's vehicle and the decision made on it.
        passage["plate"] = data["plate"]
        passage["colour"] = data.get("colour") or passage.get("colour")
        passage["corrected_by"] = actor
        for key in CORRECTED:
            if key in data:
                passage[key] = data[key]
        vehicle = data.get("vehicle")
        if isinstance(vehicle, dict):
            passage["vehicle"] = vehicle
            passage.update({key: vehicle.get(key) for key in ("emission_stage", "fuel", "fleet")})
    elif kind == "release":
        passage.update(released=True, released_by=actor, release_reason=data.get("reason"))
    elif kind == "weight":
        passage["weight_kg"] = data.get("weight_kg")
    elif kind == "cargo":
        passage["cargo"] = {k: v for k, v in data.items() if k != "reason"}
    elif kind == "acceptance":
        passage["acceptance"] = data.get("status")
        passage["acceptance_message"] = data.get("message")
    elif kind == "lifecycle":
        passage["lifecycle"] = data.get("state")


async def async_query_audit(conn: Any, dialect: str, q: AuditQuery) -> dict[str, Any]:
    clauses: list[str] = []
    args: list[Any] = []
    if q.start:
        clauses.append("at_ts >= ?")
        args.append(int(q.start.timestamp()))
    if q.end:
        clauses.append("at_ts < ?")
        args.append(int(q.end.timestamp()))
    if q.action and q.action.endswith("."):
        clauses.append("action LIKE ? ESCAPE '\\'")
        args.append(like_pattern(q.action)[1:])
    elif q.action:
        clauses.append("action = ?")
        args.append(q.action)
    for column in ("user_id", "username", "door", "outcome", "target"):
        value = getattr(q, column)
        if value is not None:
            clauses.append(f"{column} = ?")
            args.append(value)
    where = " AND ".join(clauses) or "1 = 1"
    _, count = await conn.execute_query(
        for_dialect(dialect, f"SELECT count(*) FROM ledger_audit WHERE {where}"), args
    )
    _, rows = await conn.execute_query(
        for_dialect(
            dialect,
            "SELECT seq, at, user_id, username, door, action, outcome, target, detail, hash "
            f"FROM ledger_audit WHERE {where} ORDER BY {_AUDIT_SORT[q.sort]} LIMIT ? OFFSET ?",
        ),
        [*args, q.page_size, (q.page - 1) * q.page_size],
    )
    items = [_audit_item(r) for r in rows]
    return {"total": int(count[0][0]), "page": q.page, "page_size": q.page_size, "items": items}


def _audit_item(row: Sequence[Any]) -> dict[str, Any]:
    seq, at, user_id, username, door, action, outcome, target, detail, digest = row
    return {
        "seq": int(seq), "at": at, "user_id": user_id, "username": username, "door": door,
        "action": action, "outcome": outcome, "target": target, "detail": json.loads(detail), "hash": digest,
    }  # fmt: skip


async def async_count_by(conn: Any, dialect: str, column: str, start_ts: int, end_ts: int) -> dict[str, int]:
    """Passages of a period counted by one column (emission stage, fuel, decision ...)."""
    if column not in ("emission_stage", "fuel", "decision", "vehicle_class", "direction", "gate"):
        raise ValueError(f"cannot count by {column}")
    _, rows = await conn.execute_query(
        for_dialect(
            dialect,
            f"SELECT {column}, count(*) FROM ledger_record WHERE kind = ? AND recorded_ts >= ? "
            f"AND recorded_ts < ? GROUP BY {column}",
        ),
        [KIND_PASSAGE, start_ts, end_ts],
    )
    return {str(value): int(n) for value, n in rows}
