"""The HMI pages (jinja2): login, lanes, passages, alert level, register, audit log, upload status.

Pages that need a component which is not configured say so instead of failing; what a user may do on
a page follows the roles of the services behind it, read from the service registry.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from hub.core import HubError, ServiceNotFound, ServiceValidationError, Unauthorized
from hub.core.auth import Role

from .clips import clip_url
from .const import ALERT_ENTITY, PAGE_ROLES, SESSION_COOKIE
from .followups import readable
from .forms import audit_filters, passage_filters
from .plain import pairs_text, plant_time
from .responses import principal_of, ui_of
from .security import LoginRefused

_LOGGER = logging.getLogger(__name__)
# Message prefixes the pages' scripts use.
SCRIPT_MESSAGES = (
    "js.",
    "colour.",
    "decision.",
    "field.",
    "state.",
    "alert.",
    "direction.",
    "service.",
    "choice.",
    "screen.",
    "stage.",
    "fuel.",
)
NAV = (
    "lanes", "approvals", "screen", "passages", "alert", "vehicles", "reports", "quality", "airquality",
    "audit", "uplink", "devices", "automations", "users",
)  # fmt: skip


class CallFailed(Exception):
    """A service call a page made did not give a result; `message` is for the page, translated."""

    def __init__(self, message: str, fields: list[tuple[str, str]] | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.fields = fields or []
        self.status = status  # what the page answers: 403 when the user's roles do not allow the call


def services_for(request: web.Request, *names: str) -> dict[str, dict[str, Any]]:
    """What the page's scripts need to know about services: registered, allowed, their fields."""
    hub, principal = ui_of(request).hub, principal_of(request)
    out: dict[str, dict[str, Any]] = {}
    for full in names:
        domain, _, service = full.partition(".")
        if not hub.services.has_service(domain, service):
            out[full] = {"registered": False, "allowed": False}
            continue
        entry = hub.services.get(domain, service)
        out[full] = {
            "registered": True,
            "allowed": principal.may(entry.roles),
            "description": entry.description,
            "schema": entry.schema.model_json_schema() if entry.schema else None,
        }
    return out


def domain_services(request: web.Request, domain: str) -> list[str]:
    return sorted(
        f"{s.domain}.{s.name}" for s in ui_of(request).hub.services.services() if s.domain == domain
    )


def render(request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
    server, t = ui_of(request), request["t"]
    principal = request.get("principal")
    alert = server.hub.states.get(ALERT_ENTITY)
    context.setdefault("page_data", {})
    context["page_data"].update(
        lang=request["lang"],
        messages=t.prefixed(*SCRIPT_MESSAGES),
        user=principal.user.username if principal else None,
        roles=sorted(principal.user.roles) if principal else [],
        time_zone=str(server.hub.clock.tz),
    )  # fmt: skip
    html = server.jinja.get_template(template).render(
        t=t,
        lang=request["lang"],
        hub_name=server.hub.core_config.name,
        user=principal.user if principal else None,
        roles=sorted(principal.user.roles) if principal else [],
        nav=[
            n
            for n in NAV
            if principal and principal.may(PAGE_ROLES[n]) and (n != "approvals" or server.config.release)
        ],  # only where releases need approval
        alert=alert,
        path=request.path,
        query=dict(request.query),
        lang_url=lambda lang: request.path + "?" + urlencode({**request.query, "lang": lang}),
        **context,
    )
    return web.Response(text=html, status=status, content_type="text/html", charset="utf-8")


def message_page(request: web.Request, status: int, title_key: str, text: str = "") -> web.Response:
    return render(request, "message.html", status=status, page="message", title_key=title_key, text=text)


def problems_text(request: web.Request, message: str, problems: list[tuple[str, str]]) -> str:
    """A message followed by each field's problem, the field named in the user's language."""
    t = request["t"]
    return " ".join([message, *(f"{t('field.' + field, field)}: {text}" for field, text in problems)])


def page(name: str) -> Any:
    """Decorator: the page's role check; a user without the role gets a clear refusal, not a crash."""

    def wrap(handler: Any) -> Any:
        async def run(request: web.Request) -> web.StreamResponse:
            if not principal_of(request).may(PAGE_ROLES[name]):
                return message_page(
                    request, 403, "error.forbidden_title", request["t"]("error.forbidden_page")
                )
            return await handler(request)

        return run

    return wrap


async def call(request: web.Request, domain: str, service: str, data: dict[str, Any]) -> Any:
    """A service call for a page, as the signed-in user, with its failures turned into page text."""
    hub, principal, t = ui_of(request).hub, principal_of(request), request["t"]
    try:
        return await hub.services.async_call(domain, service, data, principal.context(), door="ui")
    except ServiceNotFound:
        raise CallFailed(t("error.not_configured", service=f"{domain}.{service}")) from None
    except Unauthorized:
        raise CallFailed(t("error.forbidden_action"), status=403) from None
    except ServiceValidationError as err:
        raise CallFailed(t("error.invalid"), err.errors) from None
    except (HubError, ValueError, LookupError) as err:
        raise CallFailed(str(err)) from None


# ----- sign in and out ----------------------------------------------------------------------------
def _safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this server only, else "/".

    Browsers read a backslash as a slash and drop tabs and newlines, so `/\\evil.example`, or `/`, a
    tab and `/evil.example`, would leave the site: anything but a plain local path is refused."""
    if (
        not target
        or not target.startswith("/")
        or "//" in target
        or "\\" in target
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    ):
        return "/"
    return target


async def login_form(request: web.Request) -> web.Response:
    return render(request, "login.html", page="login", error=None, next=_safe_next(request.query.get("next")))


async def login_submit(request: web.Request) -> web.StreamResponse:
    server, t = ui_of(request), request["t"]
    try:
        form = await request.post()
    except (LookupError, ValueError) as err:  # a charset nobody knows, broken framing: not a 500
        error = t("error.unreadable_form", reason=str(err)[:200])
        return render(request, "login.html", status=400, page="login", error=error, next="/")
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    target = _safe_next(str(form.get("next", "")))
    try:
        user = await server.auth.async_login(username, password, request.remote or "?", "ui", "form")
    except LoginRefused as err:
        error = t("login.locked", seconds=int(err.retry_after) + 1)
        return render(request, "login.html", status=429, page="login", error=error, next=target)
    if user is None:
        return render(request, "login.html", status=401, page="login", error=t("login.failed"), next=target)
    token, claims = server.auth.issue(user, "session")
    response = web.Response(status=303, headers={"Location": target})
    max_age = int(claims.expires - server.auth.now())
    response.set_cookie(
        SESSION_COOKIE, token, max_age=max_age, httponly=True, samesite="Strict", path="/",
        secure=request.secure,
    )  # fmt: skip
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    principal = principal_of(request)
    if principal.claims is not None:
        await ui_of(request).auth.async_logout(principal.claims)
    response = web.Response(status=303, headers={"Location": "/login"})
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


# ----- pages --------------------------------------------------------------------------------------
async def index(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/lanes")


@page("lanes")
async def lanes_page(request: web.Request) -> web.Response:
    actions = services_for(
        request,
        *("barrier.open", "barrier.close", "policy.open_barrier"),
        *("policy.confirm_read", "policy.correct_plate", "policy.release"),
    )
    return render(request, "lanes.html", page="lanes", page_data={"services": actions})


@page("passages")
async def passages_page(request: web.Request) -> web.Response:
    hub, t = ui_of(request).hub, request["t"]
    configured = hub.services.has_service("ledger", "query")
    result, error, fields = None, None, []
    query, problems = passage_filters(request.query, hub.clock.tz)
    if problems:
        error, fields = t("error.invalid"), problems
    elif configured:
        try:
            result = await call(request, "ledger", "query", query)
        except CallFailed as err:
            error, fields = err.message, err.fields
    return render(
        request, "passages.html", page="passages", configured=configured, result=result, error=error,
        fields=fields, filters=request.query, page_links=_page_links(request, result),
    )  # fmt: skip


@page("passages")
async def passage_page(request: web.Request) -> web.Response:
    hub, t = ui_of(request).hub, request["t"]
    passage_id = request.match_info["passage_id"]
    if not hub.services.has_service("ledger", "query"):
        return message_page(request, 503, "passages.title", t("error.not_configured", service="ledger.query"))
    query, problems = passage_filters(
        {"start": request.query.get("at", ""), "at_exact": "1", "gate": request.query.get("gate", ""),
         "lane": request.query.get("lane", ""), "page_size": "200"}, hub.clock.tz,
    )  # fmt: skip
    item = None
    if not problems and request.query.get("at"):
        try:
            result = await call(request, "ledger", "query", query)
        except CallFailed as err:
            return message_page(request, err.status, "passages.title", err.message)
        item = next((i for i in result.get("items", []) if i.get("passage_id") == passage_id), None)
    if item is None:
        return message_page(request, 404, "passage.not_found_title", t("passage.not_found", id=passage_id))
    actions = services_for(request, "policy.correct_plate", "policy.release", "ledger.record_followup")
    return render(
        request, "passage.html", page="passage", item=item, followups=readable(hub, t, item["followups"]),
        photos_available=hub.services.has_service("ledger", "evidence"),
        clip=clip_url(ui_of(request).config.clips, item, hub.clock.tz),
        page_data={"services": actions, "passage": item},
    )  # fmt: skip


@page("alert")
async def alert_page(request: web.Request) -> web.Response:
    hub = ui_of(request).hub
    history, history_error = None, None
    actions = services_for(
        request, "policy.set_alert_level", "policy.cancel_scheduled_alert", "ledger.audit_query"
    )
    if actions["ledger.audit_query"]["allowed"]:
        try:
            data = {"action": "policy.set_alert_level", "page_size": 10}
            history = await call(request, "ledger", "audit_query", data)
        except CallFailed as err:
            history_error = err.message
    return render(
        request, "alert.html", page="alert", state=hub.states.get(ALERT_ENTITY), history=history,
        history_error=history_error, page_data={"services": actions},
    )  # fmt: skip


@page("vehicles")
async def vehicles_services_page(request: web.Request) -> web.Response:
    """Every vehicles.* service as a generic form, kept for administrators; the register is /vehicles."""
    if Role.ADMIN not in principal_of(request).user.roles:
        return message_page(request, 403, "error.forbidden_title", request["t"]("error.forbidden_page"))
    names = domain_services(request, "vehicles")
    return render(
        request, "services.html", page="vehicles", domain="vehicles", names=names,
        page_data={"services": services_for(request, *names)},
    )  # fmt: skip


@page("audit")
async def audit_page(request: web.Request) -> web.Response:
    hub, t = ui_of(request).hub, request["t"]
    configured = hub.services.has_service("ledger", "audit_query")
    result, error, fields = None, None, []
    query, problems = audit_filters(request.query, hub.clock.tz)
    if problems:
        error, fields = t("error.invalid"), problems
    elif configured:
        try:
            result = await call(request, "ledger", "audit_query", query)
        except CallFailed as err:
            error, fields = err.message, err.fields
    for item in (result or {}).get("items", []):
        item["at_text"] = plant_time(item.get("at"), hub.clock.tz)
        item["detail_text"] = _audit_detail(item.get("detail") or {}, hub.clock.tz)
    return render(
        request, "audit.html", page="audit", configured=configured, result=result, error=error,
        fields=fields, filters=request.query, page_links=_page_links(request, result),
    )  # fmt: skip


# What an audit row's own columns show already, or only a developer wants (the call's context id).
_AUDIT_SHOWN = frozenset({"context_id", "data", "error", "door", "outcome", "username", "user_id"})


def _audit_detail(detail: Mapping[str, Any], tz: tzinfo) -> str:
    """The row's error, else the call's data, else the rest of the row, as `key: value` pairs."""
    if detail.get("error"):
        return str(detail["error"])
    if isinstance(detail.get("data"), Mapping):
        return pairs_text(detail["data"], tz)
    return pairs_text({k: v for k, v in detail.items() if k not in _AUDIT_SHOWN}, tz)


def _page_links(request: web.Request, result: dict[str, Any] | None) -> dict[str, Any] | None:
    if not result:
        return None
    page_no, size, total = int(result.get("page", 1)), int(result.get("page_size", 50)), int(result["total"])
    pages = max(1, -(-total // size))

    def link(n: int) -> str:
        return request.path + "?" + urlencode({**request.query, "page": n})

    return {
        "page": page_no, "pages": pages, "total": total,
        "prev": link(page_no - 1) if page_no > 1 else None,
        "next": link(page_no + 1) if page_no < pages else None,
    }  # fmt: skip


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/login", login_form)
    app.router.add_post("/login", login_submit)
    app.router.add_post("/logout", logout)
    app.router.add_get("/lanes", lanes_page)
    app.router.add_get("/passages", passages_page)
    app.router.add_get("/passages/{passage_id}", passage_page)
    app.router.add_get("/alert", alert_page)
    app.router.add_get("/vehicles/services", vehicles_services_page)
    app.router.add_get("/audit", audit_page)
