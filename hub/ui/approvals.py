"""放行审批 (/approvals): the two-step release requests (release.py), made for an officer's phone.

The page is a shell; its script reads `GET /api/releases` and follows `release_request` events on the
live feed, so what it shows is the hub's, after a reload as before.
"""

from __future__ import annotations

from aiohttp import web

from .pages import page, render, services_for


@page("approvals")
async def approvals_page(request: web.Request) -> web.Response:
    actions = services_for(request, "ui.approve_release", "ui.refuse_release")
    return render(request, "approvals.html", page="approvals", page_data={"services": actions})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/approvals", approvals_page)
