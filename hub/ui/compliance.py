"""The compliance tabs of the reports page (合规报表): statistics of a period with a chart, the
clean-transport ratio with the officer's entry of other modes' tonnage, alert periods, carrier scorecards,
the report files written, and exports (a report, an appendix table or the evidence pack) as downloads.

Each tab is one `reports.*` call as the signed-in user (roles, validation and audit are the service
registry's); the page turns codes into labels and the figures into tables.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from hub.core.auth import AuthManager
from hub.core.gate import lanes_in_states

from .i18n import Translator
from .pages import CallFailed, call, message_page, page, problems_text, render, services_for
from .posted import posted_form
from .register import download
from .responses import ui_of

TABS = ("statistics", "clean", "alerts", "carriers", "files")
SERVICE = {"statistics": "statistics", "clean": "clean_transport", "alerts": "alerts", "carriers": "carriers"}
PERIODS = ("day", "week", "month", "quarter", "year", "custom")
EXPORTS = ("statistics", "passages", "daily", "clean_transport", "alerts", "carriers", "evidence_pack")
MODES = ("rail", "waterway", "pipeline", "belt")
NO_FLEET = "未登记车队"  # the carriers report's name for passages without a fleet (reports/carriers.py)


def period_request(query: Any, tab: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """A `reports.*` period (and scope) from the page's query string (pure)."""
    problems: list[tuple[str, str]] = []
    kind = (query.get("period") or ("day" if tab == "statistics" else "month")).strip()
    if kind not in PERIODS:
        return {}, [("period", f"one of {', '.join(PERIODS)}")]
    data: dict[str, Any] = {"period": kind}
    for key in ("start", "end") if kind == "custom" else ("date",):
        text = (query.get(key) or "").strip()
        if not text:
            if kind == "custom":
                problems.append((key, "required"))
            continue
        try:
            data[key] = date.fromisoformat(text).isoformat()
        except ValueError:
            problems.append((key, "not a date"))
    if tab == "statistics":
        for key in ("gate", "lane"):
            value = (query.get(key) or "").strip()
            if value:
                data[key] = value[:32]
    if tab == "carriers" and (query.get("fleet") or "").strip():
        data["fleet"] = query["fleet"].strip()[:100]
    return data, problems


def stage_label(t: Translator, key: str) -> str:
    """`5/diesel` -> 国五 柴油; `D/electric` -> 电动."""
    stage, _, family = key.partition("/")
    text = t(f"stage.{stage}", stage if stage != "?" else t("reports.unknown"))
    if family and family not in ("electric", "other"):
        text += " " + t(f"screen.family.{family}", family)
    return text


def reason_label(t: Translator, code: str, recorded: str | None) -> str:
    """A denial reason of a report, grouped by its code. A Chinese page shows the text the policy recorded
    (the rule book's words); another language names the code, or shows the recorded text where the code is
    a plant's own."""
    if recorded and t.lang.startswith("zh"):
        return recorded
    return t(f"reports.denied.{code}", recorded or code or t("reports.unknown"))


def author(t: Translator, users: AuthManager, created_by: str | None) -> str:
    """Who wrote a report file: the schedule, a user (by name) or the hub itself."""
    if created_by == "schedule":
        return t("reports.by_schedule")
    user = users.get(created_by) if created_by else None
    return t("reports.by_user", user=user.username) if user else t("reports.by_hub")


def chart_of(result: dict[str, Any], t: Translator) -> dict[str, Any]:
    """What reports.js draws: passages in/out and denials per day."""
    days = result.get("days") or []
    return {
        "labels": [d["date"] for d in days],
        "series": [
            {"label": t("reports.entries"), "data": [d["in"] for d in days]},
            {"label": t("reports.exits"), "data": [d["out"] for d in days]},
            {"label": t("decision.deny"), "data": [d["deny"] for d in days]},
        ],
    }


async def compliance_tab(request: web.Request, tab: str) -> web.Response:
    """The body of one compliance tab (called by the reports page)."""
    hub, t = ui_of(request).hub, request["t"]
    configured = hub.services.has_service("reports", "statistics")
    result, error, fields, status = None, None, [], 200
    data: dict[str, Any] = {}
    if configured:
        try:
            if tab == "files":
                result = await call(request, "reports", "files", {"limit": 200})
            else:
                data, problems = period_request(request.query, tab)
                if problems:
                    error, fields, status = t("error.invalid"), problems, 400
                else:
                    result = await call(request, "reports", SERVICE[tab], data)
                    if tab == "clean":
                        tonnage = await call(request, "reports", "tonnage", dict(data))
                        result["tonnage_entries"] = tonnage.get("entries", [])
        except CallFailed as err:
            error, fields, status = err.message, err.fields, err.status
    scope = ("period", "date", "start", "end", "gate", "lane")
    export_query = urlencode({k: v for k, v in data.items() if k in scope})
    actions = services_for(request, "reports.enter_tonnage", "reports.export")
    page_data = {"chart": chart_of(result, t)} if tab == "statistics" and result else {}
    lanes = sorted(lanes_in_states(hub.states))  # suggestions for the gate and lane fields
    return render(
        request, "reports.html", status, page="reports", configured=configured, kind=tab, result=result,
        error=error, fields=fields, filters=request.query, today=hub.now().date().isoformat(),
        stage_label=lambda key: stage_label(t, key), periods=PERIODS, no_fleet=NO_FLEET,
        reason_label=lambda code, text: reason_label(t, code, text),
        author=lambda created_by: author(t, hub.auth, created_by), exports=EXPORTS, modes=MODES,
        export_query=export_query, may_enter=actions["reports.enter_tonnage"]["allowed"],
        may_export=actions["reports.export"]["allowed"], done=request.query.get("done"), page_data=page_data,
        gates=sorted({g for g, _ in lanes}), lane_names=sorted({n for _, n in lanes}),
    )  # fmt: skip


@page("reports")
async def export(request: web.Request) -> web.StreamResponse:
    """Write a report file (`reports.export`) and hand it over as a download."""
    t = request["t"]
    kind = request.query.get("kind", "")
    fmt = request.query.get("format", "xlsx")
    data, problems = period_request(request.query, "statistics")
    if kind not in EXPORTS:
        problems.append(("kind", ", ".join(EXPORTS)))
    if fmt not in ("xlsx", "csv"):
        problems.append(("format", "xlsx, csv"))
    if problems:
        return message_page(
            request, 400, "reports.title", problems_text(request, t("error.invalid"), problems)
        )
    if kind not in ("statistics", "passages", "daily"):
        data = {k: v for k, v in data.items() if k not in ("gate", "lane")}
    try:
        written = await call(request, "reports", "export", {**data, "kind": kind, "format": fmt})
        return await _download(request, written["name"])
    except CallFailed as err:
        return message_page(
            request, err.status, "reports.title", problems_text(request, err.message, err.fields)
        )


@page("reports")
async def report_file(request: web.Request) -> web.StreamResponse:
    try:
        return await _download(request, request.query.get("name", ""))
    except CallFailed as err:
        return message_page(request, err.status if err.status != 400 else 404, "reports.title", err.message)


async def _download(request: web.Request, name: str) -> web.StreamResponse:
    found = await call(request, "reports", "file", {"name": name})
    return download(found["content"], found["name"], found["content_type"])


@page("reports")
async def enter_tonnage(request: web.Request) -> web.StreamResponse:
    """An officer's entry of rail, waterway, pipeline or belt-corridor tonnage (`reports.enter_tonnage`)."""
    t = request["t"]
    form = await posted_form(request, "reports.title")
    if isinstance(form, web.Response):
        return form
    keys = ("mode", "direction", "start", "end", "source")
    data: dict[str, Any] = {k: str(form.get(k) or "").strip() for k in keys}
    if str(form.get("cargo") or "").strip():
        data["cargo"] = str(form["cargo"]).strip()
    try:
        data["tonnes"] = float(str(form.get("tonnes") or ""))
    except ValueError:
        text = problems_text(request, t("error.invalid"), [("tonnes", "not a number")])
        return message_page(request, 400, "reports.title", text)
    try:
        await call(request, "reports", "enter_tonnage", data)
    except CallFailed as err:
        return message_page(
            request, err.status, "reports.title", problems_text(request, err.message, err.fields)
        )
    back = urlencode({"report": "clean", "period": "custom", "start": data["start"], "end": data["end"],
                      "done": "tonnage"})  # fmt: skip
    raise web.HTTPSeeOther(f"/reports?{back}")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/reports/export", export)
    app.router.add_get("/reports/file", report_file)
    app.router.add_post("/reports/tonnage", enter_tonnage)
