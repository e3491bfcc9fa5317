"""用户管理 (administrators) and 我的账号 (everyone): accounts, roles, passwords, sign-in delays.

Each action is an `auth.*` service call as the signed-in user, so the roles and the audit log are
those of every other door; the page only collects the fields and shows the outcome in words.
"""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from hub.core.auth import Role

from .i18n import Translator
from .pages import CallFailed, call, page, render
from .posted import posted_form

# The account services' refusals (hub/core/users.py, auth.py, passwords.py; pydantic for the roles) in
# the page's language: they answer in English for every door, a person here reads the page's words.
REFUSALS = (
    (re.compile(r"password: at least (?P<count>\d+) characters"), "users.error.password_short"),
    (re.compile(r"password: at most (?P<count>\d+) characters"), "users.error.password_long"),
    (re.compile(r"the current password is not right.*"), "users.error.wrong_password"),
    (re.compile(r"an administrator cannot disable their own account"), "users.error.disable_self"),
    (re.compile(r"username: 2-64 characters.*"), "users.error.username"),
    (re.compile(r"no user '(?P<username>.*)'"), "users.error.no_user"),
    (re.compile(r"List should have at least 1 item.*"), "users.error.no_role"),
)


def in_words(t: Translator, text: str) -> str:
    """A refusal in the page's language, else as the service gave it."""
    for pattern, key in REFUSALS:
        if found := pattern.fullmatch(text):
            return t(key, text, **found.groupdict())
    return text


def _refusal(t: Translator, err: CallFailed, name_fields: bool = True) -> str:
    fields = "; ".join(
        f"{t('field.' + f, f)}: {in_words(t, m)}" if name_fields else in_words(t, m) for f, m in err.fields
    )
    return " ".join(filter(None, [in_words(t, err.message), fields]))


async def _form(request: web.Request) -> dict[str, Any] | web.Response:
    posted = await posted_form(request, "users.title")
    if isinstance(posted, web.Response):
        return posted
    return {key: posted.getall(key) if key == "roles" else str(posted.get(key, "")) for key in posted}


async def _users_view(request: web.Request, status: int = 200, **context: Any) -> web.Response:
    try:
        users = await call(request, "auth", "users", {})
    except CallFailed as err:
        users, context["error"] = [], err.message
    return render(
        request, "users.html", status, page="users", users=users, all_roles=[r.value for r in Role], **context
    )


@page("users")
async def users_page(request: web.Request) -> web.Response:
    return await _users_view(request)


@page("users")
async def users_action(request: web.Request) -> web.Response:
    """POST /users/{action}: add, password, active, unlock; the answer is the page with the outcome."""
    t, action = request["t"], request.match_info["action"]
    form = await _form(request)
    if isinstance(form, web.Response):
        return form
    username = str(form.get("username", "")).strip()
    service, data = {
        "add": ("add_user", {"username": username, "password": form.get("password", ""),
                             "roles": list(form.get("roles") or [])}),
        "password": ("set_password", {"username": username, "password": form.get("password", "")}),
        "active": ("set_active", {"username": username, "active": form.get("active") == "true"}),
        "unlock": ("unlock", {"username": username}),
    }.get(action, (None, {}))  # fmt: skip
    if service is None:
        raise web.HTTPNotFound()
    try:
        await call(request, "auth", service, data)
    except CallFailed as err:
        return await _users_view(request, err.status, error=_refusal(t, err))
    return await _users_view(request, flash=t(f"users.done.{action}", username=username))


async def account_page(request: web.Request) -> web.Response:
    return render(request, "account.html", page="account")


async def account_password(request: web.Request) -> web.Response:
    t = request["t"]
    form = await _form(request)
    if isinstance(form, web.Response):
        return form
    if form.get("new_password") != form.get("repeat_password"):
        return render(request, "account.html", 400, page="account", error=t("account.mismatch"))
    data = {key: form.get(key, "") for key in ("current_password", "new_password")}
    try:
        await call(request, "auth", "change_own_password", data)
    except CallFailed as err:
        error = _refusal(t, err, name_fields=False)
        return render(request, "account.html", err.status, page="account", error=error)
    return render(request, "account.html", page="account", flash=t("account.changed"))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/users", users_page)
    app.router.add_post("/users/{action}", users_action)
    app.router.add_get("/account", account_page)
    app.router.add_post("/account/password", account_password)
