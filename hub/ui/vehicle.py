"""The vehicle page (车辆档案, /vehicle/<plate>): every passage of a plate (corrected plates count), its
trips (entry paired with exit, with net weights) of the last 90 days, the register record and its
change history, and its fleet's scorecard of the month. Each part is the service a person would call,
as the signed-in user; a part the user's roles do not reach, or whose component is not configured,
says so instead of failing the page.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import quote, urlencode

from aiohttp import web

from .pages import CallFailed, call, page, render, services_for
from .plain import plant_time
from .register import CLASSES, field_header, load_tables
from .responses import ui_of

TRIP_DAYS = 90
PAGE_SIZE = 50


def passage_url(p: dict[str, Any]) -> str:
    """The detail page of one passage (its id, the second it was recorded in, its lane)."""
    query = urlencode({"at": p.get("recorded_at") or "", "gate": p.get("gate") or "",
                       "lane": p.get("lane") or ""})  # fmt: skip
    return f"/passages/{quote(str(p.get('passage_id') or ''), safe='')}?{query}"


async def _part(request: web.Request, allowed: bool, domain: str, service: str, data: dict[str, Any]) -> Any:
    """A service's answer, or {"error": text} for the page to show in place of the part."""
    if not allowed:
        return {"error": request["t"]("vehicle.part_unavailable")}
    try:
        return await call(request, domain, service, data)
    except CallFailed as err:
        return {"error": err.message}


@page("passages")
async def vehicle_page(request: web.Request) -> web.Response:
    hub = ui_of(request).hub
    plate = request.match_info["plate"].strip().upper()[:16]
    number = request.query.get("page", "1")
    number_ = int(number) if number.isdigit() and 0 < int(number) < 100_000 else 1
    allowed = {k: v["allowed"] for k, v in services_for(
        request, "ledger.query", "ledger.trips", "vehicles.get", "vehicles.history", "reports.carriers"
    ).items()}  # fmt: skip
    passages = await _part(
        request, allowed["ledger.query"], "ledger", "query",
        {"plate": plate, "page": number_, "page_size": PAGE_SIZE},
    )  # fmt: skip
    now = hub.now()
    trips = await _part(
        request, allowed["ledger.trips"], "ledger", "trips",
        {"plate": plate, "start": (now - timedelta(days=TRIP_DAYS)).isoformat(),
         "end": (now + timedelta(days=1)).isoformat(), "page_size": PAGE_SIZE},
    )  # fmt: skip
    record = await _part(request, allowed["vehicles.get"], "vehicles", "get", {"key": plate})
    history = None
    if isinstance(record, dict) and record.get("key") and allowed["vehicles.history"]:
        history = await _part(
            request, True, "vehicles", "history", {"class": record.get("class"), "key": record["key"]}
        )
        if record.get("class") in CLASSES and "items" in history:
            await load_tables(request)  # the changed fields by their headings, not their names
            for item in history["items"]:
                item["changed_text"] = plant_time(item.get("changed_at"), hub.clock.tz)
                changes = item.get("changes")
                names = list(changes) if isinstance(changes, dict) else []
                item["fields"] = [field_header(request, record["class"], name) for name in names]
    scorecard = None
    fleet = record.get("fleet") if isinstance(record, dict) else None
    if fleet and allowed["reports.carriers"]:
        found = await _part(request, True, "reports", "carriers", {"period": "month", "fleet": fleet})
        scorecard = next((c for c in found.get("carriers", []) if c.get("fleet") == fleet), None)
    links = None
    if passages and "total" in passages:
        pages = max(1, -(-int(passages["total"]) // PAGE_SIZE))

        def link(n: int) -> str:
            return request.path + "?" + urlencode({**request.query, "page": n})

        links = {"page": number_, "pages": pages, "total": passages["total"],
                 "prev": link(number_ - 1) if number_ > 1 else None,
                 "next": link(number_ + 1) if number_ < pages else None}  # fmt: skip
    return render(
        request, "vehicle.html", page="vehicle", plate=plate, passages=passages, trips=trips,
        record=record, history=history, page_links=links, passage_url=passage_url, trip_days=TRIP_DAYS,
        scorecard=scorecard,
    )  # fmt: skip


def add_routes(app: web.Application) -> None:
    app.router.add_get("/vehicle/{plate}", vehicle_page)
