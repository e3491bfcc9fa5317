"""The data-quality page (数据质量, /quality): findings per rule with severity, the ledger records behind
each, filters, an officer's acknowledgement with a note, and the history of acknowledged findings.

Everything is a `quality.*` call as the signed-in user, so roles, validation and the audit log are the
service registry's; the page only shapes the answers for people.
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from .i18n import Translator
from .pages import CallFailed, call, message_page, page, problems_text, render, services_for
from .plain import plant_time, times_in_text
from .posted import posted_form
from .responses import ui_of

STATUSES = ("open", "acknowledged", "resolved", "all")
SEVERITIES = ("error", "warning", "info")


def findings_request(query: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """`quality.findings` data from the page's query string (pure)."""
    data: dict[str, Any] = {"with_records": True, "page_size": 50}
    problems: list[tuple[str, str]] = []
    status = (query.get("status") or "open").strip()
    if status not in STATUSES:
        problems.append(("status", f"one of {', '.join(STATUSES)}"))
    data["status"] = status
    severity = (query.get("severity") or "").strip()
    if severity and severity not in SEVERITIES:
        problems.append(("severity", f"one of {', '.join(SEVERITIES)}"))
    elif severity:
        data["severity"] = severity
    for key in ("rule", "subject"):
        value = (query.get(key) or "").strip()
        if value:
            data[key] = value
    for key in ("start", "end"):
        value = (query.get(key) or "").strip()
        if value:
            try:
                data[key] = date.fromisoformat(value).isoformat()
            except ValueError:
                problems.append((key, "not a date"))
    text = (query.get("page") or "1").strip()
    if text.isdigit() and int(text) >= 1:
        data["page"] = int(text)
    else:
        problems.append(("page", "not a whole number"))
    return data, problems


# rule -> the detail a finding's message needs besides its subject and day. A finding stored before its
# rule put one of them in the detail (the passage's time came in 2026-12) and listed without its
# records shows its stored summary.
NEEDS: dict[str, tuple[str, ...]] = {
    "exit_before_entry": ("exit_at", "entry_at"),
    "exit_without_entry": ("exit_at", "lookback_hours"),
    "short_trip": ("entry_at", "exit_at", "minutes"),
    "trips_per_day": ("entries", "limit"),
    "repeated_read": ("lane", "seconds"),
    "missing_photo": ("at", "missing"),
    "weight_missing": ("at", "lane"),
    "volume_missing": ("at",),
    "cargo_weight_implausible": ("at", "tonnes", "min_t", "max_t"),
    "register_incomplete": ("missing",),
    "stage_date_inconsistent": ("emission_stage", "registration_date"),
    "clock_skew": ("max_skew_s", "passages", "limit_s"),
    "stream_gap": ("from_ts", "to_ts", "minutes"),
    "upload_backlog": ("platform", "pending", "due", "acknowledged", "rejected"),
    "upload_rejected": ("platform", "record_id", "reason"),
    "unregistered_in_plant": ("at", "lane"),
}


def finding_text(t: Translator, finding: dict[str, Any], tz: tzinfo) -> str:
    """A finding in the page's language from its rule and detail (the rules store one line, Chinese then
    English); the stored line, times in plant time, where the detail lacks what the message needs (pure)."""
    stored = times_in_text(str(finding.get("summary") or ""), tz)
    rule = str(finding.get("rule") or "")
    found = finding.get("detail")
    detail: dict[str, Any] = dict(found) if isinstance(found, dict) else {}
    records = finding.get("records") or []
    if "at" not in detail and len(records) == 1 and len(finding.get("seqs") or []) == 1:
        # Stored before the rules kept a passage's time: it is the recorded time of its one record.
        detail["at"] = records[0].get("recorded_at")
    template = t(f"quality.summary.{rule}", "")
    if not template or any(detail.get(key) is None for key in NEEDS.get(rule, ("-",))):
        return stored
    subject = str(finding.get("subject") or "-")
    values = {k: "—" if v is None else f"{v:g}" if isinstance(v, float) else v for k, v in detail.items()}
    values.update(plate=subject, subject=subject, day=finding.get("day") or "")
    values.setdefault("lane", subject)
    values.setdefault("cargo", "—")
    for key in ("at", "exit_at", "entry_at"):
        if key in detail:
            values[key] = plant_time(detail[key], tz)
    joiner = t("quality.list_joiner")
    if rule == "missing_photo":
        values["photos"] = joiner.join(t(f"quality.photo.{m}", str(m)) for m in detail["missing"])
    elif rule == "register_incomplete":
        values["fields"] = joiner.join(t(f"quality.field.{m}", str(m)) for m in detail["missing"])
    elif rule == "stage_date_inconsistent":
        stage = str(detail["emission_stage"])
        values["stage"] = t(f"stage.{stage}", stage)
        bound = "before" if detail.get("earliest") else "after" if detail.get("latest") else None
        day = detail.get("earliest") or detail.get("latest")
        values["why"] = t(f"quality.summary.stage_{bound}", date=day) if bound else ""
    elif rule == "clock_skew":
        values["skew"] = f"{float(detail['max_skew_s']):+.0f}"
    elif rule == "stream_gap":
        for key, ts in (("start", detail["from_ts"]), ("end", detail["to_ts"])):
            values[key] = plant_time(datetime.fromtimestamp(int(ts), tz), tz)
    elif rule == "upload_rejected":  # the subject is the record's plate, else the platform
        values["record"] = subject if subject != detail["platform"] else detail["record_id"]
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError, TypeError):
        return stored


def record_link(record: dict[str, Any]) -> str:
    """The passage search narrowed to the second the record was made in, on its lane."""
    query = {"start": record.get("recorded_at") or "", "at_exact": "1", "gate": record.get("gate") or "",
             "lane": record.get("lane") or ""}  # fmt: skip
    return "/passages?" + urlencode(query)


@page("quality")
async def quality_page(request: web.Request) -> web.Response:
    hub, t = ui_of(request).hub, request["t"]
    if not hub.services.has_service("quality", "findings"):
        return message_page(
            request, 200, "quality.title", t("error.component_missing", component=t("quality.title"))
        )
    rules: list[dict[str, Any]] = []
    result, error, fields, status = None, None, [], 200
    data, problems = findings_request(request.query)
    try:
        rules = await call(request, "quality", "rules", {})
        if problems:
            error, fields, status = t("error.invalid"), problems, 400
        else:
            result = await call(request, "quality", "findings", data)
    except CallFailed as err:
        error, fields, status = err.message, err.fields, err.status
    names = {r["rule"]: (r["name_zh"] if request["lang"] == "zh-CN" else r["name"]) for r in rules}
    for finding in (result or {}).get("items", []):
        finding["summary_text"] = finding_text(t, finding, hub.clock.tz)
    links = None
    if result:
        pages = max(1, -(-int(result["total"]) // int(result["page_size"])))
        number = int(result["page"])

        def link(n: int) -> str:
            return request.path + "?" + urlencode({**request.query, "page": n})

        links = {"page": number, "pages": pages, "total": result["total"],
                 "prev": link(number - 1) if number > 1 else None,
                 "next": link(number + 1) if number < pages else None}  # fmt: skip
    actions = services_for(request, "quality.acknowledge", "quality.run")
    return render(
        request, "quality.html", status, page="quality", rules=rules, names=names, result=result,
        error=error, fields=fields, filters=request.query, page_links=links, record_link=record_link,
        may_acknowledge=actions["quality.acknowledge"]["allowed"], may_run=actions["quality.run"]["allowed"],
        notice=request.query.get("done"), today=hub.now().date().isoformat(),
    )  # fmt: skip


@page("quality")
async def acknowledge(request: web.Request) -> web.StreamResponse:
    t = request["t"]
    form = await posted_form(request, "quality.title")
    if isinstance(form, web.Response):
        return form
    back = str(form.get("back") or "/quality")
    if not back.startswith("/quality") or "//" in back:
        back = "/quality"
    try:
        finding_id = int(request.match_info["finding_id"])
        await call(request, "quality", "acknowledge", {"id": finding_id, "note": str(form.get("note", ""))})
    except ValueError:
        return message_page(request, 404, "quality.title", t("quality.no_finding"))
    except CallFailed as err:
        return message_page(
            request, err.status, "quality.title", problems_text(request, err.message, err.fields)
        )
    joiner = "&" if "?" in back else "?"
    raise web.HTTPSeeOther(f"{back}{joiner}done=acknowledged")


@page("quality")
async def run_now(request: web.Request) -> web.StreamResponse:
    form = await posted_form(request, "quality.title")
    if isinstance(form, web.Response):
        return form
    day = str(form.get("date") or "").strip()
    try:
        await call(request, "quality", "run", {"date": day} if day else {})
    except CallFailed as err:
        return message_page(
            request, err.status, "quality.title", problems_text(request, err.message, err.fields)
        )
    raise web.HTTPSeeOther("/quality?done=run")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/quality", quality_page)
    app.router.add_post("/quality/{finding_id}/acknowledge", acknowledge)
    app.router.add_post("/quality/run", run_now)
