"""自动化 `/automations`: each automation's state, last run and configuration errors, switch on and off,
run or reload (engineers), and `/automations/<id>`: its last runs step by step (the run traces).

Every action is an `automation.*` service call as the signed-in user (roles and audit as elsewhere).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from .i18n import Translator
from .pages import CallFailed, call, message_page, page, render, services_for
from .posted import posted_form
from .responses import ui_of

ACTIONS = ("automation.turn_on", "automation.turn_off", "automation.trigger", "automation.reload")


def _short(value: Any, limit: int = 160) -> str:
    """A step's result or a trigger's data as one line of JSON, cut to fit a table cell."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def trigger_text(t: Translator, trigger: dict[str, Any]) -> str:
    """What started a run in the page's language, from the component's code and values; a code this
    console does not know (or a trace without one) as the component said it, in English."""
    text = str(trigger.get("description") or "")
    code, params = trigger.get("description_code"), trigger.get("description_params")
    if not isinstance(code, str) or not isinstance(params, dict):
        return text
    values = dict(params)
    if "stage" in values:  # a passage's stage is a word of its own (已称重 / weighed)
        values["stage"] = t(f"automations.stage.{values['stage']}", str(values["stage"]))
    return t(f"automations.describe.{code}", text, **values)


def stop_text(t: Translator, run: dict[str, Any]) -> str:
    """Why a run stopped: the component's own reasons in the page's language, an automation's `stop:`
    text as its author wrote it."""
    reason, code = str(run.get("stop_reason") or ""), run.get("stop_code")
    return t(f"automations.stop.{code}", reason) if isinstance(code, str) and reason else reason


@page("automations")
async def automations_page(request: web.Request) -> web.Response:
    return await _listing(request)


async def _listing(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    try:
        listing = await call(request, "automation", "list", {})
    except CallFailed as err:
        return message_page(request, err.status, "automations.title", err.message)
    return render(
        request, "automations.html", status, page="automations", automations=listing["automations"],
        errors=listing.get("errors", []), allowed={n.split(".")[1]: i["allowed"]
                                                   for n, i in services_for(request, *ACTIONS).items()},
        **extra,
    )  # fmt: skip


@page("automations")
async def automation_action(request: web.Request) -> web.Response:
    """POST /automations/{action}: on, off, run (with `entity_id`) or reload."""
    t, action = request["t"], request.match_info["action"]
    form = await posted_form(request, "automations.title")
    if isinstance(form, web.Response):
        return form
    entity_id = str(form.get("entity_id", ""))
    service, data = {
        "on": ("turn_on", {"entity_id": entity_id}),
        "off": ("turn_off", {"entity_id": entity_id}),
        "run": ("trigger", {"entity_id": entity_id}),
        "reload": ("reload", {}),
    }.get(action, ("", {}))
    if not service:
        raise web.HTTPNotFound()
    try:
        await call(request, "automation", service, data)
    except CallFailed as err:
        return await _listing(request, err.status, error=err.message)
    return await _listing(request, flash=t(f"automations.done.{action}", entity_id=_name(request, entity_id)))


def _name(request: web.Request, entity_id: str) -> str:
    """An automation as people call it (its alias, 超重提示), else its entity id."""
    state = ui_of(request).hub.states.get(entity_id)
    return str(state.attributes.get("friendly_name") or entity_id) if state else entity_id


@page("automations")
async def traces_page(request: web.Request) -> web.Response:
    t, entity_id = request["t"], request.match_info["entity_id"]
    try:
        result = await call(request, "automation", "trace", {"entity_id": entity_id})
    except CallFailed as err:
        status = 404 if err.status == 400 else err.status  # no such automation
        return message_page(request, status, "automations.title", err.message)
    runs = [
        {**run, "trigger_text": trigger_text(t, run.get("trigger") or {}), "stop_text": stop_text(t, run),
         "steps": [{**s, "result_text": _short(s.get("result"))} for s in run.get("steps", [])]}
        for run in reversed(result.get("traces", []))
    ]  # fmt: skip
    return render(
        request, "automation_traces.html", page="automations", entity_id=entity_id,
        name=_name(request, entity_id), runs=runs,
    )  # fmt: skip


def add_routes(app: web.Application) -> None:
    app.router.add_get("/automations", automations_page)
    app.router.add_post("/automations/{action}", automation_action)
    app.router.add_get("/automations/{entity_id}/traces", traces_page)
