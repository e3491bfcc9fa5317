"""The upload-status page (上传状态, /uplink): a card per supervisory platform by its name with today's
and each day's figures (rate, due, sent, acknowledged, rejected, pending), the backlog's age, the parked
records with their reasons and a resend button, and a resend (补传) of a date range.

Figures are `uplink.status`, resends `uplink.resend`, both as the signed-in user (roles and audit are
the service registry's).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from aiohttp import web

from .pages import CallFailed, call, message_page, page, problems_text, render, services_for
from .posted import posted_form
from .responses import ui_of

DAYS = 7


def backlog_days(platform: dict[str, Any], today: date) -> int | None:
    """Days since the oldest day shown that still has records the platform has not taken (pure)."""
    waiting = [d["date"] for d in platform.get("days", []) if d.get("pending")]
    if not waiting:
        return None
    return (today - date.fromisoformat(min(waiting))).days


def resend_range(form: Any, tz: Any) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """`uplink.resend` data from the form: whole plant days `start`..`end`, both included (pure)."""
    problems: list[tuple[str, str]] = []
    days: dict[str, date] = {}
    for key in ("start", "end"):
        text = str(form.get(key) or "").strip()
        try:
            days[key] = date.fromisoformat(text)
        except ValueError:
            problems.append((key, "not a date"))
    if problems:
        return {}, problems
    if days["end"] < days["start"]:
        return {}, [("end", "end comes before start")]
    data: dict[str, Any] = {
        "start": datetime.combine(days["start"], time(), tz).isoformat(),
        "end": datetime.combine(days["end"] + timedelta(days=1), time(), tz).isoformat(),
    }
    platform = str(form.get("platform") or "").strip()
    if platform:
        data["platform"] = platform
    return data, []


@page("uplink")
async def uplink_page(request: web.Request) -> web.Response:
    hub = ui_of(request).hub
    if not hub.services.has_service("uplink", "status"):
        return render(request, "uplink.html", page="uplink", configured=False, platforms=[])
    error, platforms = None, []
    try:
        platforms = (await call(request, "uplink", "status", {"days": DAYS}))["platforms"]
    except CallFailed as err:
        error = err.message
    today = hub.now().date()
    for p in platforms:
        p["backlog_days"] = backlog_days(p, today)
    actions = services_for(request, "uplink.resend")
    return render(
        request, "uplink.html", page="uplink", configured=True, platforms=platforms, error=error,
        may_resend=actions["uplink.resend"]["allowed"], today=today.isoformat(),
        done=request.query.get("done"), default_start=(today - timedelta(days=1)).isoformat(),
    )  # fmt: skip


@page("uplink")
async def resend(request: web.Request) -> web.StreamResponse:
    hub, t = ui_of(request).hub, request["t"]
    form = await posted_form(request, "uplink.title")
    if isinstance(form, web.Response):
        return form
    data, problems = resend_range(form, hub.clock.tz)
    if problems:
        return message_page(
            request, 400, "uplink.title", problems_text(request, t("error.invalid"), problems)
        )
    try:
        result = await call(request, "uplink", "resend", data)
    except CallFailed as err:
        return message_page(
            request, err.status, "uplink.title", problems_text(request, err.message, err.fields)
        )
    raise web.HTTPSeeOther(f"/uplink?done={len(result['jobs'])}")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/uplink", uplink_page)
    app.router.add_post("/uplink/resend", resend)
