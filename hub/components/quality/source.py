"""What the rules read of the ledger: the passages of a window with their follow-ups folded in.

Read-only SQL on the hub's own database connection (one process owns a database): one range query over
the passages and one over their follow-up rows recorded from then until a few days after, both on the
ledger's (kind, recorded_ts) index, so an old month of a long ledger never scans to the head.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from hub.components.ledger.sql import for_dialect

FOLLOWUP_KINDS = ("weight", "cargo", "correction", "release")
FOLLOWUP_DAYS = 3  # follow-ups (cargo from the ERP, corrections) arrive within this after a passage
CLOCK_SLACK = 3600  # a follow-up stamped before its passage: the wall clock stepped back in between


@dataclass(slots=True)
class Passage:
    seq: int
    passage_id: str
    ts: int
    at: str
    gate: str
    lane: str
    direction: str
    plate: str
    vehicle_class: str
    decision: str
    photo_plate: str | None
    photo_scene: str | None
    skew_s: float | None = None
    registered: bool | None = None
    released: bool = False
    weight_kg: int | None = None
    cargo: dict[str, Any] | None = None

    @property
    def went_through(self) -> bool:
        return self.decision == "allow" or self.released

    @property
    def lane_key(self) -> str:
        return f"{self.gate}/{self.lane}"


async def async_passages(
    conn: Any, dialect: str, start_ts: int, end_ts: int, run_blocking: Any
) -> list[Passage]:
    """Passages recorded in [start_ts, end_ts), in seq order, as they stand after their follow-ups."""
    _, rows = await conn.execute_query(
        for_dialect(
            dialect,
            "SELECT seq, passage_id, recorded_ts, recorded_at, gate, lane, direction, plate, vehicle_class, "
            "decision, photo_plate, photo_scene, data FROM ledger_record "
            "WHERE kind = 'passage' AND recorded_ts >= ? AND recorded_ts < ? ORDER BY seq",
        ),
        [start_ts, end_ts],
    )
    if not rows:
        return []
    # Follow-ups by time through the (kind, recorded_ts) index: a bound on seq would need the seq of
    # a later passage, which SQLite finds by walking the table from its first row.
    marks = ", ".join(f"'{k}'" for k in FOLLOWUP_KINDS)
    _, followups = await conn.execute_query(
        for_dialect(
            dialect,
            f"SELECT passage_id, kind, data FROM ledger_record WHERE kind IN ({marks}) "
            "AND recorded_ts >= ? AND recorded_ts < ? ORDER BY seq",
        ),
        [start_ts - CLOCK_SLACK, end_ts + FOLLOWUP_DAYS * 86_400],
    )
    return await run_blocking(_build, [tuple(r) for r in rows], [tuple(f) for f in followups])


RECORD_BRIEF = ("seq", "kind", "recorded_at", "gate", "lane", "direction", "plate", "decision")


async def async_records(conn: Any, dialect: str, seqs: list[int]) -> dict[int, dict[str, Any]]:
    """The ledger rows of `seqs`, briefly (what a finding's reader needs to find them)."""
    found: dict[int, dict[str, Any]] = {}
    for i in range(0, len(seqs), 500):
        chunk = seqs[i : i + 500]
        marks = ", ".join("?" for _ in chunk)
        _, rows = await conn.execute_query(
            for_dialect(
                dialect, f"SELECT {', '.join(RECORD_BRIEF)} FROM ledger_record WHERE seq IN ({marks})"
            ),
            chunk,
        )
        found.update({int(r[0]): dict(zip(RECORD_BRIEF, tuple(r), strict=True)) for r in rows})
    return found


def _build(rows: Sequence[Sequence[Any]], followups: Sequence[Sequence[Any]]) -> list[Passage]:
    passages: list[Passage] = []
    by_id: dict[str, Passage] = {}
    for seq, pid, ts, at, gate, lane, direction, plate, vclass, decision, p_plate, p_scene, data in rows:
        detail = json.loads(data or "{}")
        vehicle = detail.get("vehicle") or {}
        p = Passage(
            int(seq), pid or "", int(ts), at, gate or "", lane or "", direction or "", plate or "",
            vclass or "unknown", decision or "", p_plate, p_scene,
            skew_s=detail.get("clock_skew_s"), registered=vehicle.get("registered"),
        )  # fmt: skip
        passages.append(p)
        if pid:
            by_id[pid] = p
    for pid, kind, data in followups:
        target = by_id.get(pid)
        if target is None:
            continue
        payload = json.loads(data or "{}")
        if kind == "release":
            target.released = True
        elif kind == "weight":
            target.weight_kg = payload.get("weight_kg")
        elif kind == "cargo":
            target.cargo = payload
        elif kind == "correction" and payload.get("plate"):
            target.plate = str(payload["plate"])
    return passages
