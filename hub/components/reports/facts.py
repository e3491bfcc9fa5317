"""Passages of a period as they stand now (corrected plate, release, weight, cargo, acceptance), read in
a day at a time so that a month or a year never sits in memory at once; trips and tonnage from them.

A follow-up counts when it was recorded within `FOLLOWUP_DAYS` of its passage (cargo is filled in before
upload, within a day in practice); one made later is not in the reports, whatever the period asked.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Iterable
from typing import TYPE_CHECKING, Any

from .const import KIND_PASSAGE
from .db import Reader

if TYPE_CHECKING:
    from .days import ClosedDays

FOLLOWUP_DAYS = 31
FOLLOWUP_WINDOW_S = FOLLOWUP_DAYS * 86400
BLOCK_DAYS = 31  # days of passages whose follow-ups are read in one scan
TRIP_LOOKBACK_S = 24 * 3600  # an exit early in the period finds its entry of the day before
PASSAGE_COLUMNS = (
    "seq",
    "passage_id",
    "recorded_ts",
    "recorded_at",
    "gate",
    "lane",
    "direction",
    "plate",
    "colour",
    "vehicle_class",
    "emission_stage",
    "fuel",
    "fleet",
    "decision",
    "reason_code",
    "actor",
    "photo_plate",
    "photo_scene",
    "data",
)
BRIEF_COLUMNS = PASSAGE_COLUMNS[:15]  # what figures need: no photos, no `data` to decode
FOLLOWUPS = ("correction", "release", "weight", "cargo", "acceptance")
# Figures need no platform acceptance (a row per platform and passage at a connected plant).
BRIEF_FOLLOWUPS = FOLLOWUPS[:4]


def _brief(row: Any) -> dict[str, Any]:
    # What the figures read; the follow-ups add only what they carry (released, weight_kg, cargo ...),
    # and consumers ask with .get (62,000 passages a month: each key set here is a measurable cost).
    # The SELECT names BRIEF_COLUMNS, so lengths match; zip's strict check costs 15 % of the build.
    return dict(zip(BRIEF_COLUMNS, row))  # noqa: B905


def _fact(row: Any) -> dict[str, Any]:
    p = dict(zip(PASSAGE_COLUMNS, row, strict=True))
    data = json.loads(p.pop("data") or "{}")
    p["seq"], p["recorded_ts"] = int(p["seq"]), int(p["recorded_ts"])
    vehicle = data.get("vehicle") or {}
    p.update(
        original_plate=p["plate"],
        reason_text=data.get("reason_text"),
        rule=data.get("rule"),
        alert_level=data.get("alert_level"),
        video_ref=data.get("video_ref"),
        entry=data.get("entry"),
        vehicle=vehicle,
        registered=vehicle.get("registered"),
        released=False,
        weight_kg=None,
        cargo=None,
        acceptance=None,
    )
    return p


def apply_followup(p: dict[str, Any], kind: str, actor: str | None, at: str, d: dict[str, Any]) -> None:
    if kind == "correction":
        p.setdefault("original_plate", p["plate"])
        p["plate"] = d.get("plate") or p["plate"]
        p["colour"] = d.get("colour") or p["colour"]
        p["corrected_by"] = actor
        p["correction_reason"] = d.get("reason")
    elif kind == "release":
        p.update(
            released=True,
            released_by=actor,
            release_reason=d.get("reason"),
            approver=d.get("approver"),
            released_at=at,
        )
    elif kind == "weight":
        p["weight_kg"] = d.get("weight_kg")
    elif kind == "cargo":
        p["cargo"] = d
    elif kind == "acceptance":
        p["acceptance"] = d.get("status")
        p["acceptance_message"] = d.get("message")


class Followups:
    """The follow-ups of a block of passages (seq `low`..`high`), read in one scan of the time index per
    kind (the ledger has no index on `ref_seq`) and held by the passage they amend until it is read.

    Weights, one per passage at a weighed plant, come as the number from SQL; the rare rest (release,
    correction, cargo, acceptance) as JSON (decoding a month's 60,000 weights in Python took ~0.2 s).
    Each is applied only when recorded within FOLLOWUP_WINDOW_S of its passage, so a passage reads the
    same in every period that holds it (the closed days kept by days.py rely on that)."""

    def __init__(self) -> None:
        self.weights: dict[int, tuple[int, int | None]] = {}  # seq -> (recorded_ts, kg), the last
        self.reweighed: dict[int, list[tuple[int, int | None]]] = {}  # seq -> its earlier weighings
        self.others: dict[int, list[tuple[Any, ...]]] = {}

    async def async_read(
        self, reader: Reader, kinds: tuple[str, ...], start_ts: int, end_ts: int, low: int, high: int
    ) -> None:
        window = "recorded_ts >= ? AND recorded_ts < ? AND ref_seq >= ? AND ref_seq <= ? ORDER BY seq"
        args = [start_ts, end_ts + FOLLOWUP_WINDOW_S, low, high]
        weight = reader.json_int("data", "weight_kg")
        weights, reweighed = self.weights, self.reweighed
        for ref_seq, kg, ts in await reader.raw_rows(
            f"SELECT ref_seq, {weight}, recorded_ts FROM ledger_record WHERE kind = 'weight' AND {window}",
            args,
        ):
            if ref_seq in weights:  # weighed again: in sequence order, the last one in time stands
                reweighed.setdefault(ref_seq, []).append(weights[ref_seq])
            weights[ref_seq] = (ts, kg)
        rest = [k for k in kinds if k != "weight"]
        marks = ", ".join("?" for _ in rest)
        for ref_seq, *found in await reader.raw_rows(
            f"SELECT ref_seq, recorded_ts, kind, actor, recorded_at, data FROM ledger_record "
            f"WHERE kind IN ({marks}) AND {window}",
            [*rest, *args],
        ):
            self.others.setdefault(ref_seq, []).append(tuple(found))

    def apply(self, passages: list[dict[str, Any]]) -> None:
        weights, others = self.weights, self.others
        for p in passages:
            seq = p["seq"]
            if seq in weights:
                ts, kg = weights.pop(seq)
                if ts < p["recorded_ts"] + FOLLOWUP_WINDOW_S:
                    p["weight_kg"] = kg
                else:
                    self._earlier_weight(p)
            if seq in others:
                until = p["recorded_ts"] + FOLLOWUP_WINDOW_S
                for ts, kind, actor, at, data in others.pop(seq):
                    if ts < until:
                        apply_followup(p, kind, actor, at, json.loads(data))

    def _earlier_weight(self, p: dict[str, Any]) -> None:
        until = p["recorded_ts"] + FOLLOWUP_WINDOW_S
        for ts, kg in reversed(self.reweighed.pop(p["seq"], [])):
            if ts < until:
                p["weight_kg"] = kg
                return


async def async_passages(
    reader: Reader,
    start_ts: int,
    end_ts: int,
    *,
    gate: str | None = None,
    lane: str | None = None,
    detail: bool = False,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Passages recorded in [start_ts, end_ts), in sequence order, a day at a time, follow-ups folded in;
    with `detail` also the photos and what the row's `data` holds (reason text, vehicle, video ...)."""
    async for _, _, found in async_days(reader, start_ts, end_ts, gate=gate, lane=lane, detail=detail):
        if found:
            yield found


async def async_days(
    reader: Reader,
    start_ts: int,
    end_ts: int,
    *,
    gate: str | None = None,
    lane: str | None = None,
    detail: bool = False,
) -> AsyncIterator[tuple[int, int, list[dict[str, Any]]]]:
    """Each day window of [start_ts, end_ts) (86,400 s from start_ts, the last one cut at end_ts) with its
    passages as `async_passages` gives them, the empty windows too: `(window start, window end, passages)`.

    The next day's rows are asked for before this day's are handed on, so the database reads them
    while the caller works through these."""
    names, build = (PASSAGE_COLUMNS, _fact) if detail else (BRIEF_COLUMNS, _brief)
    columns = ", ".join(f'"{c}"' for c in names)
    scope, scope_args = "", []
    for column, value in (("gate", gate), ("lane", lane)):
        if value is not None:
            scope += f" AND {column} = ?"
            scope_args.append(value)
    kinds = FOLLOWUPS if detail else BRIEF_FOLLOWUPS
    select = (
        f"SELECT {columns} FROM ledger_record WHERE kind = ? AND recorded_ts >= ? AND recorded_ts < ?{scope} "
        "ORDER BY seq"
    )

    def day_rows(day: int, block_end: int) -> asyncio.Future[list[Any]]:
        args = [KIND_PASSAGE, day, min(day + 86400, block_end), *scope_args]
        return asyncio.ensure_future(reader.raw_rows(select, args))

    block_start = start_ts
    while block_start < end_ts:
        block_end = min(block_start + BLOCK_DAYS * 86400, end_ts)
        bounds = await reader.rows(
            "SELECT min(seq), max(seq) FROM ledger_record WHERE kind = ? AND recorded_ts >= ? "
            f"AND recorded_ts < ?{scope}",
            [KIND_PASSAGE, block_start, block_end, *scope_args],
        )
        low, high = bounds[0] if bounds else (None, None)
        if low is None or high is None:  # nothing recorded in the block
            for day in range(block_start, block_end, 86400):
                yield day, min(day + 86400, block_end), []
            block_start = block_end
            continue
        followups = Followups()
        await followups.async_read(reader, kinds, block_start, block_end, int(low), int(high))
        day, asked = block_start, day_rows(block_start, block_end)
        try:
            while day < block_end:
                rows = await asked
                following = day + 86400
                if following < block_end:
                    asked = day_rows(following, block_end)
                found = [build(r) for r in rows]
                followups.apply(found)
                yield day, min(following, block_end), found
                day = following
        finally:
            asked.cancel()  # the caller stopped early: the day asked ahead is not wanted
        block_start = block_end


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


class Pairing:
    """Trips (车次) paired as passages stream by in sequence order: each entry that went through with
    the same plate's next exit; the unpaired too. Only the entries still inside are held.

    Each passage gets its `tonnes` before it is handed on: the cargo supplement's volume, else the trip's
    net weight on the heavier side (heavier in: delivered; heavier out: shipped). `on_passage` sees every
    passage once, `on_trip` every trip once (entries still inside at `finish`)."""

    def __init__(
        self, on_passage: Callable[[dict[str, Any]], None], on_trip: Callable[[dict[str, Any]], None]
    ) -> None:
        self.on_passage, self.on_trip = on_passage, on_trip
        self.inside: dict[str, dict[str, Any]] = {}

    def feed(self, passages: Iterable[dict[str, Any]]) -> None:
        inside, on_passage, close = self.inside, self.on_passage, self._close
        for p in passages:  # 62,000 a month: the small steps inline, a call cost more than each
            cargo = p.get("cargo")
            tonnes = p["tonnes"] = cargo_tonnes(cargo) if cargo else None
            p["tonnage_source"] = None if tonnes is None else "cargo"
            plate = p.get("plate")
            if not plate or not (p.get("decision") == "allow" or p.get("released")):
                on_passage(p)  # machinery without plate cannot be paired; a refused truck did not pass
            elif p["direction"] == "in":
                earlier = inside.get(plate)
                if earlier is not None:
                    close(earlier, None)
                inside[plate] = p
            else:
                close(inside.pop(plate, None), p)

    def finish(self) -> None:
        for entry in list(self.inside.values()):
            self._close(entry, None)
        self.inside.clear()

    def _close(self, entry: dict[str, Any] | None, exit_: dict[str, Any] | None) -> None:
        first = entry or exit_
        assert first is not None
        if entry and exit_:
            kg_in, kg_out = entry.get("weight_kg"), exit_.get("weight_kg")
            no_cargo = (entry["tonnes"], exit_["tonnes"]) == (None, None)
            if kg_in is not None and kg_out is not None and no_cargo:
                net = (int(kg_in) - int(kg_out)) / 1000
                if net:
                    loaded = entry if net > 0 else exit_
                    loaded["tonnes"], loaded["tonnage_source"] = abs(net), "weighbridge"
        self.on_trip(
            {
                "plate": first["plate"],
                "fleet": first.get("fleet"),
                "entry": entry,
                "exit": exit_,
                "dwell_s": exit_["recorded_ts"] - entry["recorded_ts"] if entry and exit_ else None,
            }
        )
        for p in (entry, exit_):
            if p is not None:
                self.on_passage(p)


async def async_pair(
    days: ClosedDays,
    start_ts: int,
    end_ts: int,
    on_passage: Callable[[dict[str, Any]], None],
    on_trip: Callable[[dict[str, Any]], None],
) -> None:
    """Stream the plant's passages of [start_ts - TRIP_LOOKBACK_S, end_ts) through a `Pairing`: the
    lookback lets an exit early in the period find its entry; what lies before start_ts is the caller's
    to skip. Trips pair across every lane (a truck enters by one and leaves by another)."""
    pairing = Pairing(on_passage, on_trip)
    async for chunk in days.async_passages(start_ts - TRIP_LOOKBACK_S, end_ts):
        pairing.feed(chunk)
    pairing.finish()
