"""用户管理 (administrators) and 我的账号 (everyone): accounts, roles, passwords, sign-in delays.

Each action is an `auth.*` service call as the signed-in user, so the roles and the audit log are
those of every other door; the page only collects the fields and shows the outcome in words.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from hub.core.auth import Role

from .pages import CallFailed, call, page, render
from .posted import posted_form


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
        fields = "; ".join(f"{t('field.' + f, f)}: {m}" for f, m in err.fields)
        return await _users_view(request, err.status, error=" ".join(filter(None, [err.message, fields])))
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
        fields = "; ".join(m for _f, m in err.fields)
        return render(request, "account.html", err.status, page="account",
                      error=" ".join(filter(None, [err.message, fields])))  # fmt: skip
    return render(request, "account.html", page="account", flash=t("account.changed"))


def add_routes(app: web.Application) -> None:
    app.router.add_get("/users", users_page)
    app.router.add_post("/users/{action}", users_action)
    app.router.add_get("/account", account_page)
    app.router.add_post("/account/password", account_password)
