"""The aiohttp application: middlewares (security headers, sign-in, language), routes, start and stop."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import quote

import jinja2
from aiohttp import web

from hub.core import Hub
from hub.core.const import EVENT_HUB_STARTED
from hub.util.http import quiet_bad_requests

from . import (
    airquality_page,
    api,
    approvals,
    automations,
    automations_page,
    bigscreen,
    devices,
    pages,
    passages_export,
    quality_api,
    quality_page,
    register,
    reports,
    reports_api,
    uplink_page,
    users,
    vehicle,
    websocket,
)
from .config import UiConfig
from .const import LANGUAGE_COOKIE
from .i18n import Catalogues
from .kiosk import KioskTokens
from .plain import plant_time
from .release import ReleaseDesk
from .responses import UI_KEY, api_error
from .screen import PlantScreen
from .security import SAFE_METHODS, Authenticator, LoginRefused, Principal, same_origin
from .serialize import dumps

_LOGGER = logging.getLogger(__name__)
HERE = Path(__file__).parent
MAX_BODY_BYTES = 16 * 1024 * 1024  # a register import as base64 fits
PUBLIC_PATHS = frozenset({"/login", "/api/health", "/api/auth/token", "/api/openapi.yaml", "/favicon.ico"})
# Nothing external may load: the control room may have no internet, and an inspector must trust the page.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class UiServer:
    def __init__(self, hub: Hub, config: UiConfig, secret: str) -> None:
        self.hub = hub
        self.config = config
        self.auth = Authenticator(hub, config, secret)
        self.catalogues = Catalogues(config.language)
        self.jinja = jinja2.Environment(
            loader=jinja2.FileSystemLoader(HERE / "templates"),
            autoescape=jinja2.select_autoescape(("html",)),
            enable_async=False,
        )
        self.jinja.filters["tojson_safe"] = lambda v: jinja2.utils.markupsafe.Markup(
            dumps(v).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        )
        # A moment (datetime or ISO text, perhaps UTC from a form) in plant time to the second; other text
        # as it is.
        self.jinja.filters["plant_time"] = lambda v: plant_time(v, hub.clock.tz)
        self.feed = websocket.LiveFeed(hub)
        self.screen = PlantScreen(hub)
        self.kiosk = KioskTokens(hub.data_dir)
        self.releases = ReleaseDesk(hub, config.release)
        self.app = self._build_app()
        self.runner: web.AppRunner | None = None
        self.port: int | None = None

    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[self._headers_middleware, self._auth_middleware], client_max_size=MAX_BODY_BYTES
        )
        app[UI_KEY] = self
        api.add_routes(app)
        automations.add_routes(app)
        automations_page.add_routes(app)
        websocket.add_routes(app)
        pages.add_routes(app)
        # the purpose-made pages, built on pages.py's helpers
        for page in (
            airquality_page, approvals, devices, passages_export, quality_page, uplink_page, vehicle
        ):  # fmt: skip
            page.add_routes(app)
        register.add_routes(app)
        reports.add_routes(app)
        reports_api.add_routes(app)
        quality_api.add_routes(app)
        users.add_routes(app)
        bigscreen.add_routes(app)
        app.router.add_static("/static", HERE / "static", append_version=True)
        return app

    @property
    def url(self) -> str:
        host = self.config.host if self.config.host not in ("0.0.0.0", "::") else "127.0.0.1"
        return f"http://{host}:{self.port}"

    async def async_start(self) -> None:
        await self.hub.async_add_executor_job(self.auth.revoked.load, self.auth.now())
        await self.hub.async_add_executor_job(self.kiosk.load)
        self.feed.async_start()
        self.screen.async_start()
        self.hub.bus.async_listen_once(
            EVENT_HUB_STARTED,
            lambda _e: self.hub.async_create_task(self.screen.async_refresh(), name="ui plant figures"),
        )
        quiet_bad_requests()
        self.runner = web.AppRunner(self.app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, self.config.host, self.config.port)
        await site.start()
        addresses = self.runner.addresses  # the port the system chose when configured as 0
        self.port = addresses[0][1] if addresses else self.config.port
        _LOGGER.info("Web HMI on %s", self.url)

    async def async_stop(self) -> None:
        self.screen.async_stop()
        self.releases.async_stop()
        await self.feed.async_stop()
        if self.runner is not None:
            await self.runner.cleanup()

    # ----- middlewares ---------------------------------------------------------------------------
    @web.middleware
    async def _headers_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        lang = self.catalogues.language_of(request)
        request["lang"] = lang
        request["t"] = self.catalogues.translator(lang)
        response = await handler(request)
        framable = self.config.frame_ancestors and (
            request.path == "/screen" or request.path.startswith("/widgets/")
        )
        if framable:  # an allowed HMI may embed the big screen and the widgets; nothing else
            ancestors = "frame-ancestors " + " ".join(self.config.frame_ancestors)
            csp = CSP.replace("frame-ancestors 'none'", ancestors)
            response.headers.setdefault("Content-Security-Policy", csp)
        else:
            response.headers.setdefault("Content-Security-Policy", CSP)
            response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        if request.query.get("lang") == lang and request.cookies.get(LANGUAGE_COOKIE) != lang:
            response.set_cookie(LANGUAGE_COOKIE, lang, max_age=365 * 86400, samesite="Strict", path="/")
        return response

    @web.middleware
    async def _auth_middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        is_api = request.path.startswith("/api/")
        if request.path in PUBLIC_PATHS or request.path.startswith("/static/"):
            if request.path == "/login" and request.method not in SAFE_METHODS and not same_origin(request):
                # A foreign page must not sign a browser in as someone else (login CSRF).
                return api_error(403, "cross_origin", "cross-site sign-in refused")
            request["principal"] = None
            return await handler(request)
        try:
            principal = await self.auth.async_principal(request)
        except LoginRefused as err:
            return api_error(429, "locked", str(err), retry_after=int(err.retry_after) + 1)
        if principal is None and (token := request.query.get("kiosk")):
            kiosk = self.kiosk.find(token)
            if kiosk is not None and kiosk.opens(request.path) and request.method in SAFE_METHODS:
                principal = Principal(kiosk.user(), "kiosk")
        if principal is None:
            if is_api:
                return api_error(
                    401, "unauthorized", "sign in: a bearer token (POST /api/auth/token) or basic auth",
                    headers={"WWW-Authenticate": 'Bearer realm="ecogate", Basic realm="ecogate"'},
                )  # fmt: skip
            target = request.path_qs if request.method == "GET" else "/"
            raise web.HTTPSeeOther(f"/login?next={quote(target, safe='')}")
        if principal.ambient and _cross_site(request):
            # The session cookie is SameSite=Strict, but cached basic credentials go anywhere, and old
            # browsers ignore SameSite: what a browser sends by itself must come from our own pages.
            return api_error(403, "cross_origin", "cross-site request refused: no Origin or Referer of ours")
        request["principal"] = principal
        return await handler(request)


def _cross_site(request: web.Request) -> bool:
    """A state-changing request, or a WebSocket upgrade from a foreign page, not from our own pages.

    A WebSocket without Origin comes from a program, not a browser (browsers always send one)."""
    if request.method not in SAFE_METHODS:
        return not same_origin(request)
    if request.headers.get("Upgrade", "").lower() == "websocket" and "Origin" in request.headers:
        return not same_origin(request)
    return False
