"""The big screen (`/screen`) and the control-room widgets (`/widgets/<name>`), with their data
(`/api/screen`). A widget is the big screen's page showing one part, so an HMI can embed it in an
iframe (light or dark theme, optionally on a transparent background)."""

from __future__ import annotations

from aiohttp import web

from . import lanes
from .pages import page, render
from .responses import json_response, principal_of, ui_of

WIDGETS = ("lane", "counters", "alert", "stage_mix", "uploads")


def _view(request: web.Request, widget: str | None) -> web.Response:
    theme = "light" if request.query.get("theme") == "light" else "dark"
    return render(
        request, "screen.html", page="screen", widget=widget, theme=theme,
        transparent=request.query.get("background") == "transparent",
        page_data={"widget": widget, "lane": request.query.get("lane"), "kiosk": _kiosk(request)},
    )  # fmt: skip


def _kiosk(request: web.Request) -> str | None:
    """The kiosk token the page was opened with, for its own requests (none for a signed-in person)."""
    principal = principal_of(request)
    return request.query.get("kiosk") if principal is not None and principal.door == "kiosk" else None


@page("screen")
async def screen_page(request: web.Request) -> web.Response:
    return _view(request, None)


@page("screen")
async def widget_page(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in WIDGETS:
        raise web.HTTPNotFound(text=f"no widget {name!r}; one of {', '.join(WIDGETS)}")
    return _view(request, name)


@page("screen")
async def screen_data(request: web.Request) -> web.Response:
    server = ui_of(request)
    data = {**server.screen.snapshot(), "lanes": lanes.snapshot(server.hub, server.feed)["lanes"]}
    return json_response(data)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/screen", screen_page)
    app.router.add_get("/widgets/{name}", widget_page)
    app.router.add_get("/api/screen", screen_data)
