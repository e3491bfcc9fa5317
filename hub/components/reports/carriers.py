"""Carrier (车队/供应商) scorecards of a period: trips, tonnage, stage mix, denials per fleet, for
choosing carriers (the Zhejiang guide's "future trend")."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .counts import stage_key
from .db import Reader
from .facts import async_pair
from .period import Period

if TYPE_CHECKING:
    from .days import ClosedDays


class Scorecards:
    """Per fleet, fed by the trip pairing (only sums and each fleet's plates are kept)."""

    def __init__(self, start: int, fleet: str | None, findings: dict[int, list[int]] | None = None) -> None:
        self.start, self.fleet = start, fleet
        self.findings = findings  # ledger seq -> ids of findings naming it; None: no quality
        self.cards: dict[str, dict[str, Any]] = defaultdict(
            lambda: {
                "passages": 0,
                "trips": 0,
                "tonnes": 0.0,
                "denied": 0,
                "released": 0,
                "vehicles": set(),
                "stage_mix": defaultdict(int),
                "denied_by_reason": defaultdict(int),
                "findings": set(),
            }
        )

    def _mine(self, p: dict[str, Any]) -> str | None:
        name = p.get("fleet") or "未登记车队"
        return None if p["recorded_ts"] < self.start or (self.fleet and name != self.fleet) else name

    def on_passage(self, p: dict[str, Any]) -> None:
        name = self._mine(p)
        if name is None:
            return
        card = self.cards[name]
        card["passages"] += 1
        card["vehicles"].add(p.get("plate"))
        card["tonnes"] += p.get("tonnes") or 0.0
        card["released"] += bool(p.get("released"))
        if self.findings:
            card["findings"].update(self.findings.get(p["seq"], ()))
        if p["direction"] == "in":
            card["stage_mix"][stage_key(p.get("emission_stage"), p.get("fuel"))] += 1
        if p.get("decision") == "deny":
            card["denied"] += 1
            card["denied_by_reason"][p.get("reason_code") or ""] += 1

    def on_trip(self, t: dict[str, Any]) -> None:
        name = self._mine(t["entry"] or t["exit"])
        if name is not None:
            self.cards[name]["trips"] += 1

    def result(self) -> list[dict[str, Any]]:
        out = []
        for name, card in sorted(self.cards.items()):
            entries = sum(card["stage_mix"].values())
            clean = sum(n for key, n in card["stage_mix"].items() if key[0] in "6D")
            out.append(
                {
                    "fleet": name,
                    "passages": card["passages"],
                    "trips": card["trips"],
                    "vehicles": len(card["vehicles"]),
                    "tonnes": round(card["tonnes"], 3),
                    "denied": card["denied"],
                    "released": card["released"],
                    "denial_rate": round(card["denied"] / card["passages"], 4) if card["passages"] else None,
                    "stage_mix": dict(sorted(card["stage_mix"].items())),
                    "share_stage6_or_electric": round(clean / entries, 4) if entries else None,
                    "denied_by_reason": dict(card["denied_by_reason"]),
                    "quality_findings": len(card["findings"]) if self.findings is not None else None,
                }
            )
        return out


async def async_findings(reader: Reader, period: Period) -> dict[int, list[int]] | None:
    """Ledger seq -> the data-quality findings of the period that name it (the quality component's
    `quality.findings`, open or not); None where that component is not loaded."""
    services = reader.hub.services
    if not services.has_service("quality", "findings"):
        return None
    by_seq: dict[int, list[int]] = defaultdict(list)
    query = {
        "status": "all",
        "start": period.first.isoformat(),
        "end": period.last.isoformat(),
        "page_size": 500,
    }
    page = 1
    while True:
        found = await services.async_call("quality", "findings", {**query, "page": page})
        for item in found["items"]:
            for seq in item.get("seqs") or ():
                by_seq[int(seq)].append(int(item["id"]))
        if page * 500 >= found["total"] or not found["items"]:
            return by_seq
        page += 1


async def async_remote_sensing(reader: Reader, period: Period) -> dict[str, dict[str, Any]] | None:
    """Fleet -> its remote-sensing figures of the period (readings, exceedances and their share, mean
    NO and opacity per stage: the insight component's `insight.carriers`); None where it is not loaded."""
    services = reader.hub.services
    if not services.has_service("insight", "carriers"):
        return None
    tz = reader.hub.clock.tz
    start, end = (datetime.fromtimestamp(moment, tz).isoformat() for moment in period.bounds(tz))
    span = {"start": start, "end": end}
    found = await services.async_call("insight", "carriers", span)
    return {c["fleet"] or "未登记车队": c for c in found["carriers"]}


async def async_carriers(days: ClosedDays, period: Period, fleet: str | None) -> dict[str, Any]:
    reader = days.reader
    start, end = period.bounds(reader.hub.clock.tz)
    cards = Scorecards(start, fleet, await async_findings(reader, period))
    await async_pair(days, start, end, cards.on_passage, cards.on_trip)
    result = cards.result()
    sensed = await async_remote_sensing(reader, period)
    for card in result:
        figures = sensed.get(card["fleet"]) if sensed is not None else None
        card["remote_sensing"] = (
            None if sensed is None
            else {k: figures[k] for k in ("readings", "exceedances", "exceedance_share", "stages")} if figures
            else {"readings": 0, "exceedances": 0, "exceedance_share": None, "stages": {}}
        )  # fmt: skip
    return {"report": "carriers", **period.as_dict(), "carriers": result}
