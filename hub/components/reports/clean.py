"""Clean-transport ratio (清洁运输比例, spec "Clean transport ratio"): the share by tonnage of goods moved by
rail, waterway, pipeline or belt corridor, against a target; road tonnage from the ledger split into
new-energy / 国六 / 国五 / older. Documents differ on whether new-energy trucks count as clean: both
ratios are given. Other modes' tonnage is entered or imported per period; an entry whose period reaches
outside the report's counts pro rata by days."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from .const import MODES, ROAD_CLASSES
from .facts import async_pair
from .models import OtherModeTonnage
from .period import Period

if TYPE_CHECKING:
    from .days import ClosedDays

PASSAGE_KEYS = (
    "seq",
    "passage_id",
    "recorded_at",
    "plate",
    "direction",
    "emission_stage",
    "fuel",
    "fleet",
    "tonnes",
    "tonnage_source",
)


def road_class(p: dict[str, Any]) -> str:
    if p.get("emission_stage") == "D" or p.get("fuel") == "C" or p.get("colour") in ("green", "yellow_green"):
        return "new_energy"
    return {"6": "stage6", "5": "stage5"}.get(p.get("emission_stage") or "", "older")


def overlap_share(first: date, last: date, period: Period) -> float:
    """The share of an entry's days that lie inside the period."""
    inside = (min(last, period.last) - max(first, period.first)).days + 1
    return max(inside, 0) / ((last - first).days + 1)


async def async_other_modes(period: Period) -> tuple[dict[str, float], list[dict[str, Any]]]:
    rows = await OtherModeTonnage.filter(
        first_day__lte=period.last.isoformat(), last_day__gte=period.first.isoformat()
    ).order_by("id")
    replaced = {r.replaces for r in await OtherModeTonnage.exclude(replaces=None).only("replaces")}
    by_mode = dict.fromkeys(MODES, 0.0)
    items = []
    for r in rows:
        if r.id in replaced:
            continue
        share = overlap_share(date.fromisoformat(r.first_day), date.fromisoformat(r.last_day), period)
        by_mode[r.mode] = by_mode.get(r.mode, 0.0) + r.tonnes * share
        items.append(
            {
                "id": r.id,
                "mode": r.mode,
                "direction": r.direction,
                "start": r.first_day,
                "end": r.last_day,
                "tonnes": r.tonnes,
                "counted": round(r.tonnes * share, 3),
                "cargo": r.cargo,
                "source": r.source,
                "entered_by": r.entered_by,
                "entered_at": r.entered_at,
                "file": r.file,
                "replaces": r.replaces,
            }
        )
    return by_mode, items


def ratio(clean: float, total: float) -> float | None:
    return round(clean / total, 4) if total > 0 else None


async def async_clean_transport(
    days: ClosedDays, period: Period, target: float, *, with_passages: bool = False
) -> dict[str, Any]:
    start, end = period.bounds(days.reader.hub.clock.tz)
    road = {c: {"in": 0.0, "out": 0.0} for c in ROAD_CLASSES}
    behind: dict[str, list[dict[str, Any]]] = {c: [] for c in ROAD_CLASSES}

    def on_passage(p: dict[str, Any]) -> None:
        if p["recorded_ts"] < start or p.get("tonnes") is None or p["vehicle_class"] != "transport":
            return
        cls = road_class(p)
        road[cls][p["direction"]] += p["tonnes"]
        if with_passages:
            behind[cls].append({k: p.get(k) for k in PASSAGE_KEYS})

    await async_pair(days, start, end, on_passage, lambda _: None)
    for items in behind.values():
        items.sort(key=lambda p: p["seq"])
    by_mode, entries = await async_other_modes(period)
    road_total = sum(v["in"] + v["out"] for v in road.values())
    other = sum(by_mode.values())
    new_energy = road["new_energy"]["in"] + road["new_energy"]["out"]
    total = road_total + other
    without, with_ne = ratio(other, total), ratio(other + new_energy, total)
    return {
        "report": "clean_transport",
        **period.as_dict(),
        "target": target,
        "road": {
            c: {k: round(x, 3) for k, x in v.items()} | {"total": round(v["in"] + v["out"], 3)}
            for c, v in road.items()
        },
        "road_total": round(road_total, 3),
        "other_modes": {m: round(t, 3) for m, t in by_mode.items()},
        "other_total": round(other, 3),
        "total": round(total, 3),
        "ratio_without_new_energy": without,
        "ratio_with_new_energy": with_ne,
        "met_without_new_energy": without is not None and without >= target,
        "met_with_new_energy": with_ne is not None and with_ne >= target,
        "entries": entries,
        "passages": behind if with_passages else None,
    }
