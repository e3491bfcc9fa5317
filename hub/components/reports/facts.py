"""Passages of a period as they stand now (corrected plate, release, weight, cargo, acceptance), read in
chunks by sequence so that a month or a year never sits in memory at once; trips and tonnage from them.

Follow-ups are looked for up to `FOLLOWUP_DAYS` after their passage (cargo is filled in before upload,
within a day in practice); one made later is not in the reports.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable
from typing import Any

from .const import KIND_PASSAGE
from .db import Reader

FOLLOWUP_DAYS = 31
CHUNK = 5000
PASSAGE_COLUMNS = (
    "seq", "passage_id", "recorded_ts", "recorded_at", "gate", "lane", "direction", "plate", "colour",
    "vehicle_class", "emission_stage", "fuel", "fleet", "decision", "reason_code", "actor", "photo_plate",
    "photo_scene", "data",
)  # fmt: skip
FOLLOWUPS = ("correction", "release", "weight", "cargo", "acceptance")


def _fact(row: tuple[Any, ...]) -> dict[str, Any]:
    p = dict(zip(PASSAGE_COLUMNS, row, strict=True))
    data = json.loads(p.pop("data") or "{}")
    p["seq"], p["recorded_ts"] = int(p["seq"]), int(p["recorded_ts"])
    vehicle = data.get("vehicle") or {}
    p.update(
        original_plate=p["plate"], reason_text=data.get("reason_text"), rule=data.get("rule"),
        alert_level=data.get("alert_level"), video_ref=data.get("video_ref"), entry=data.get("entry"),
        vehicle=vehicle, registered=vehicle.get("registered"), released=False, weight_kg=None, cargo=None,
        acceptance=None,
    )  # fmt: skip
    return p


def apply_followup(p: dict[str, Any], kind: str, actor: str | None, at: str, d: dict[str, Any]) -> None:
    if kind == "correction":
        p["plate"] = d.get("plate") or p["plate"]
        p["colour"] = d.get("colour") or p["colour"]
        p["corrected_by"] = actor
    elif kind == "release":
        p.update(released=True, released_by=actor, release_reason=d.get("reason"),
                 approver=d.get("approver"), released_at=at)  # fmt: skip
    elif kind == "weight":
        p["weight_kg"] = d.get("weight_kg")
    elif kind == "cargo":
        p["cargo"] = d
    elif kind == "acceptance":
        p["acceptance"] = d.get("status")
        p["acceptance_message"] = d.get("message")


async def async_passages(
    reader: Reader, start_ts: int, end_ts: int, *, gate: str | None = None, lane: str | None = None,
    chunk: int = CHUNK,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Chunks of passages recorded in [start_ts, end_ts), in sequence order, follow-ups folded in."""
    where, args = "kind = ? AND recorded_ts >= ? AND recorded_ts < ?", [KIND_PASSAGE, start_ts, end_ts]
    for column, value in (("gate", gate), ("lane", lane)):
        if value is not None:
            where += f" AND {column} = ?"
            args.append(value)
    after = -1
    columns = ", ".join(f'"{c}"' for c in PASSAGE_COLUMNS)
    marks = ", ".join("?" for _ in FOLLOWUPS)
    while True:
        rows = await reader.rows(
            f"SELECT {columns} FROM ledger_record WHERE {where} AND seq > ? ORDER BY seq LIMIT ?",
            [*args, after, chunk],
        )
        if not rows:
            return
        found = [_fact(r) for r in rows]
        by_seq = {p["seq"]: p for p in found}
        low, high = found[0]["seq"], found[-1]["seq"]
        first_ts = min(p["recorded_ts"] for p in found)
        last_ts = max(p["recorded_ts"] for p in found)
        extra = await reader.rows(
            f"SELECT ref_seq, kind, actor, recorded_at, data FROM ledger_record WHERE kind IN ({marks}) "
            "AND recorded_ts >= ? AND recorded_ts < ? AND ref_seq >= ? AND ref_seq <= ? ORDER BY seq",
            [*FOLLOWUPS, first_ts, last_ts + FOLLOWUP_DAYS * 86400, low, high],
        )
        for ref_seq, kind, actor, at, data in extra:
            p = by_seq.get(int(ref_seq))
            if p is not None:
                apply_followup(p, kind, actor, at, json.loads(data))
        yield found
        after = high
        if len(rows) < chunk:
            return


async def async_all(reader: Reader, start_ts: int, end_ts: int, **scope: str | None) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    async for part in async_passages(reader, start_ts, end_ts, **scope):
        out += part
    return out


# ----- trips and tonnage (pure) ---------------------------------------------------------------------
def went_through(p: dict[str, Any]) -> bool:
    return p.get("decision") == "allow" or bool(p.get("released"))


def cargo_tonnes(cargo: dict[str, Any] | None) -> float | None:
    """The cargo supplement's volume in tonnes; None without a quantity or with a unit that is no mass."""
    if not cargo or cargo.get("quantity") is None:
        return None
    unit = str(cargo.get("unit") or "").strip().lower()
    factor = {"t": 1.0, "吨": 1.0, "kg": 0.001, "公斤": 0.001, "千克": 0.001}.get(unit)
    return None if factor is None else float(cargo["quantity"]) * factor


def pair_trips(passages: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each entry that went through paired with the same plate's next exit (车次); the unpaired too.

    Sets `tonnes` on each passage that carried goods: the cargo supplement's volume, else the trip's net
    weight on the heavier side (heavier in: delivered; heavier out: shipped)."""
    trips: list[dict[str, Any]] = []
    inside: dict[str, dict[str, Any]] = {}
    for p in sorted(passages, key=lambda p: (p["recorded_ts"], p["seq"])):
        p.setdefault("tonnes", cargo_tonnes(p.get("cargo")))
        p.setdefault("tonnage_source", "cargo" if p["tonnes"] is not None else None)
        plate = p.get("plate")
        if not plate or not went_through(p):
            continue
        if p["direction"] == "in":
            if plate in inside:
                trips.append(_trip(inside[plate], None))
            inside[plate] = p
        elif plate in inside:
            trips.append(_trip(inside.pop(plate), p))
        else:
            trips.append(_trip(None, p))
    trips += [_trip(entry, None) for entry in inside.values()]
    return trips


def _trip(entry: dict[str, Any] | None, exit_: dict[str, Any] | None) -> dict[str, Any]:
    first = entry or exit_
    assert first is not None
    trip = {
        "plate": first["plate"], "fleet": first.get("fleet"), "entry": entry, "exit": exit_,
        "dwell_s": exit_["recorded_ts"] - entry["recorded_ts"] if entry and exit_ else None,
    }  # fmt: skip
    if entry and exit_ and entry.get("weight_kg") is not None and exit_.get("weight_kg") is not None:
        net = (int(entry["weight_kg"]) - int(exit_["weight_kg"])) / 1000
        loaded = entry if net > 0 else exit_
        if loaded["tonnes"] is None and net != 0 and (entry["tonnes"] is None and exit_["tonnes"] is None):
            loaded.update(tonnes=abs(net), tonnage_source="weighbridge")
    return trip
