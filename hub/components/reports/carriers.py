"""Carrier (车队/供应商) scorecards of a period: trips, tonnage, stage mix, denials per fleet, for
choosing carriers (the Zhejiang guide's "future trend")."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from .db import Reader
from .facts import async_passages, pair_trips
from .period import Period
from .statistics import TRIP_LOOKBACK_S, stage_key


def scorecards(passages: list[dict[str, Any]], start: int, fleet: str | None) -> list[dict[str, Any]]:
    """Per fleet (pure; `passages` may start before `start` so that trips pair)."""
    trips = pair_trips(passages)
    cards: dict[str, dict[str, Any]] = defaultdict(lambda: {
        "passages": 0, "trips": 0, "tonnes": 0.0, "denied": 0, "released": 0, "vehicles": set(),
        "stage_mix": defaultdict(int), "denied_by_reason": defaultdict(int),
    })  # fmt: skip
    for p in passages:
        name = p.get("fleet") or "未登记车队"
        if p["recorded_ts"] < start or (fleet and name != fleet):
            continue
        card = cards[name]
        card["passages"] += 1
        card["vehicles"].add(p.get("plate"))
        card["tonnes"] += p.get("tonnes") or 0.0
        card["released"] += bool(p.get("released"))
        if p["direction"] == "in":
            card["stage_mix"][stage_key(p.get("emission_stage"), p.get("fuel"))] += 1
        if p.get("decision") == "deny":
            card["denied"] += 1
            card["denied_by_reason"][p.get("reason_code") or ""] += 1
    for t in trips:
        first = t["entry"] or t["exit"]
        name = first.get("fleet") or "未登记车队"
        if first["recorded_ts"] >= start and name in cards:
            cards[name]["trips"] += 1
    out = []
    for name, card in sorted(cards.items()):
        entries = sum(card["stage_mix"].values())
        clean = sum(n for key, n in card["stage_mix"].items() if key[0] in "6D")
        out.append({
            "fleet": name, "passages": card["passages"], "trips": card["trips"],
            "vehicles": len(card["vehicles"]), "tonnes": round(card["tonnes"], 3),
            "denied": card["denied"], "released": card["released"],
            "denial_rate": round(card["denied"] / card["passages"], 4) if card["passages"] else None,
            "stage_mix": dict(sorted(card["stage_mix"].items())),
            "share_stage6_or_electric": round(clean / entries, 4) if entries else None,
            "denied_by_reason": dict(card["denied_by_reason"]),
        })  # fmt: skip
    return out


async def async_carriers(reader: Reader, period: Period, fleet: str | None) -> dict[str, Any]:
    start, end = period.bounds(reader.hub.clock.tz)
    passages: list[dict[str, Any]] = []
    async for part in async_passages(reader, start - TRIP_LOOKBACK_S, end):
        passages += part
    cards = await reader.hub.async_add_executor_job(scorecards, passages, start, fleet)
    return {"report": "carriers", **period.as_dict(), "carriers": cards}
