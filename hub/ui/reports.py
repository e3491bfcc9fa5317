"""The inspection reports page (检查报表): counts, normal vs alert days, a sample check, a video window.

Each report is `ledger.report` as the signed-in user; the download buttons ask `ledger.export` for the
same report, so what is downloaded is what is shown (and both are audited by the service registry).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from aiohttp import web

from . import compliance
from .forms import parse_moment
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
            result = await call(request, "ledger", "report", data)
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
