"""The inspection reports page (检查报表): counts, normal vs alert days, a sample check, a video window.

Each report is `ledger.report` as the signed-in user; the download buttons ask `ledger.export` for the
same report, so what is downloaded is what is shown (and both are audited by the service registry).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from aiohttp import web

from . import compliance
from .forms import parse_moment
from .i18n import Translator
from .pages import CallFailed, call, message_page, page, problems_text, render
from .register import download
from .responses import ui_of

REPORTS = ("counts", "averages", "sample", "window")  # ledger.report; the compliance tabs: compliance.py


def report_request(query: Any, today: date, tz: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """`ledger.report` data from the page's query string (pure)."""
    kind = query.get("report") or "counts"
    if kind not in REPORTS:
        return {}, [("report", f"one of {', '.join(REPORTS)}")]
    data: dict[str, Any] = {"report": kind}
    problems: list[tuple[str, str]] = []

    def day(key: str, default: date | None) -> None:
        text = (query.get(key) or "").strip()
        try:
            value = date.fromisoformat(text) if text else default
        except ValueError:
            problems.append((key, "not a date"))
            return
        if value is not None:
            data[key] = value.isoformat()

    if kind == "counts":
        data["period"] = "month" if query.get("period") == "month" else "day"
        month = (query.get("month") or "").strip()
        if data["period"] == "month" and month:
            try:
                data["date"] = date.fromisoformat(f"{month}-01").isoformat()
            except ValueError:
                problems.append(("month", "not a month"))
        else:
            day("date", today)
    elif kind in ("averages", "sample"):
        day("start", today - timedelta(days=29))
        day("end", today)
        if kind == "sample":
            try:
                data["size"] = min(10, max(5, int(query.get("size") or 5)))
            except ValueError:
                problems.append(("size", "not a whole number"))
            if (query.get("seed") or "").strip().isdigit():
                data["seed"] = int(query["seed"])
    else:
        text = (query.get("at") or "").strip()
        if not text:
            problems.append(("at", "required"))
        else:
            try:
                data["at"] = parse_moment(text, tz).isoformat()
            except ValueError:
                problems.append(("at", "not a date and time"))
        try:
            data["minutes"] = min(60, max(1, int(query.get("minutes") or 10)))
        except ValueError:
            problems.append(("minutes", "not a whole number"))
        for key in ("gate", "lane"):
            if (query.get(key) or "").strip():
                data[key] = query[key].strip()
    return data, problems


def plant_time(value: Any, tz: tzinfo) -> str:
    """An ISO moment as `YYYY-MM-DD HH:MM:SS` in plant time (no offset, no microseconds); a date or other
    text as it is."""
    if not isinstance(value, str) or len(value) <= 10:
        return "" if value is None else str(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is not None:  # a naive moment is the plant's already
        moment = moment.astimezone(tz)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def missing_text(t: Translator, missing: list[str]) -> str:
    """A sample's missing items (`emission_stage`, `photo_plate`, `photo_scene:changed`) as names."""
    words = []
    for item in missing:
        name, _, state = item.partition(":")
        if name.startswith("photo_"):
            word = t(f"reports.missing.{name}", name)
        else:
            word = t(f"field.{name}", name)
        if state:  # the photo is named but its file is gone or altered
            said = t(f"reports.photo_state.{state}", state)
            word = t("reports.missing.photo_state", photo=word, state=said)
        words.append(word)
    return t("list.separator").join(words)


def for_display(result: dict[str, Any], t: Translator, tz: tzinfo) -> dict[str, Any]:
    """The report's times in plant time and a sample's missing items as names (the page's words; the
    service's result keeps its codes and ISO times)."""
    result["start_text"], result["end_text"] = plant_time(result["start"], tz), plant_time(result["end"], tz)
    for item in result.get("items") or []:
        item["recorded_text"] = plant_time(item.get("recorded_at"), tz)
        item["missing_text"] = missing_text(t, item.get("missing") or [])
    return result


@page("reports")
async def reports_page(request: web.Request) -> web.Response:
    hub, t = ui_of(request).hub, request["t"]
    configured = hub.services.has_service("ledger", "report")
    kind = request.query.get("report") or "counts"
    if kind in compliance.TABS:
        return await compliance.compliance_tab(request, kind)
    result, error, fields, status = None, None, [], 200
    data, problems = report_request(request.query, hub.now().date(), hub.clock.tz)
    if problems:
        error, fields, status = t("error.invalid"), problems, 400
    elif configured and (kind != "window" or request.query.get("at")):
        try:
            result = for_display(await call(request, "ledger", "report", data), t, hub.clock.tz)
        except CallFailed as err:
            error, fields, status = err.message, err.fields, err.status
    if kind == "window" and not request.query.get("at"):
        error, status = None, 200  # the window form, not yet filled in
    download_query = request.query_string or f"report={kind}"
    if result and result.get("seed") is not None and "seed" not in request.query:
        download_query += f"&seed={result['seed']}"  # the download repeats the draw on screen
    return render(
        request, "reports.html", status, page="reports", configured=configured, kind=kind, result=result,
        error=error, fields=fields,
        filters=request.query, today=hub.now().date().isoformat(), download_query=download_query,
    )  # fmt: skip


@page("reports")
async def reports_download(request: web.Request) -> web.StreamResponse:
    hub, t = ui_of(request).hub, request["t"]
    fmt = request.query.get("format", "xlsx")
    if fmt not in ("xlsx", "csv"):
        text = problems_text(request, t("error.invalid"), [("format", "xlsx, csv")])
        return message_page(request, 400, "reports.title", text)
    data, problems = report_request(request.query, hub.now().date(), hub.clock.tz)
    if problems:
        return message_page(
            request, 400, "reports.title", problems_text(request, t("error.invalid"), problems)
        )
    try:
        result = await call(request, "ledger", "export", {"report": data, "format": fmt})
    except CallFailed as err:
        return message_page(
            request, err.status, "reports.title", problems_text(request, err.message, err.fields)
        )
    return download(result["content"], result["filename"], result["content_type"])


def add_routes(app: web.Application) -> None:
    app.router.add_get("/reports", reports_page)
    app.router.add_get("/reports/download", reports_download)
    compliance.add_routes(app)
