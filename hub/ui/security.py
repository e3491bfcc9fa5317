"""Who is asking: session cookie (pages), bearer token or basic auth (REST clients); login and log-out.

Every attempt to sign in, good or bad, fires `user_login` so the audit log sees it. Failed attempts are
slowed by the hub's one login throttle (hub/core/throttle.py), per name and address together.

Cross-site requests: credentials a browser attaches by itself (the session cookie, cached basic
auth) are believed for a state-changing request only when its Origin, or failing that its Referer,
is this server (`same_origin`). Bearer tokens are never attached by a browser on its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from aiohttp import web

from hub.core import Context, Hub, ServiceCall
from hub.core.auth import LoginThrottled, Role, User
from hub.core.const import EVENT_USER_LOGIN
from hub.core.events import UserLoginData
from hub.core.users import Unlock  # the same fields as `auth.unlock`

from .config import UiConfig
from .const import SESSION_COOKIE
from .tokens import RevokedSessions, TokenClaims, TokenSigner

_LOGGER = logging.getLogger(__name__)
# A REST client sending basic auth on every request would otherwise cost a slow hash each time.
BASIC_CACHE_SECONDS = 60.0
MAX_CREDENTIAL_LENGTH = 256
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The doors' name for a throttled attempt (429 "locked"), kept for the handlers that catch it.
LoginRefused = LoginThrottled


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    door: str  # "ui" for the HMI's own session, "api" for REST clients
    claims: TokenClaims | None = None
    ambient: bool = False  # signed in by what a browser sends by itself: a cookie or cached basic auth

    def context(self) -> Context:
        return Context(user_id=self.user.id)

    def may(self, roles: frozenset[Role] | None) -> bool:
        return roles is None or self.user.has_any(roles)


def same_origin(request: web.Request) -> bool:
    """True when the request's Origin, or without one its Referer, names this server (host:port)."""
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source:
        return False
    parts = urlsplit(source)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == request.host.lower()


class Authenticator:
    def __init__(self, hub: Hub, config: UiConfig, secret: str) -> None:
        self.hub = hub
        self.config = config
        self.signer = TokenSigner(secret)
        self.revoked = RevokedSessions(hub.data_dir)
        hub.auth.throttle.configure(config.max_failed_logins, config.lockout_minutes * 60)
        self._basic_cache: dict[str, tuple[str, float]] = {}

    def now(self) -> float:
        return self.hub.now().timestamp()

    # ----- signing in ----------------------------------------------------------------------------
    async def async_login(
        self, username: str, password: str, remote: str, door: str, method: str
    ) -> User | None:
        """The user for right credentials, None for wrong ones; LoginRefused while throttled."""
        username = username.strip()[:MAX_CREDENTIAL_LENGTH]
        try:
            user = await self.hub.auth.async_sign_in(username, password, remote, self.now())
        except LoginThrottled:
            self._fire(username, None, door, "locked", method, remote)
            raise
        if user is None:
            self._fire(username, None, door, "failed", method, remote)
            return None
        self._fire(username, user.id, door, "ok", method, remote)
        return user

    def _fire(
        self, username: str, user_id: str | None, door: str, outcome: str, method: str, remote: str
    ) -> None:
        if outcome != "ok":
            _LOGGER.warning("Login %s for %r from %s (%s)", outcome, username, remote, method)
        self.hub.bus.async_fire(
            EVENT_USER_LOGIN,
            UserLoginData(
                username=username, user_id=user_id, door=door, outcome=outcome, method=method, remote=remote
            ),
            Context(user_id=user_id),
        )

    def issue(self, user: User, kind: str) -> tuple[str, TokenClaims]:
        hours = self.config.session_hours if kind == "session" else self.config.token_hours
        return self.signer.issue(user.id, kind, self.now() + hours * 3600)

    async def async_logout(self, claims: TokenClaims) -> None:
        snapshot = self.revoked.add(claims, self.now())
        await self.hub.async_add_executor_job(self.revoked.save, snapshot)

    # ----- each request --------------------------------------------------------------------------
    async def async_principal(self, request: web.Request) -> Principal | None:
        """The signed-in user of a request, from its Authorization header or session cookie.

        Raises LoginRefused for basic auth while the name from this address is throttled.
        """
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return self._from_token(value.strip(), "token", "api")
        if scheme.lower() == "basic":
            return await self._from_basic(value.strip(), request.remote or "?")
        cookie = request.cookies.get(SESSION_COOKIE)
        return self._from_token(cookie, "session", "ui", ambient=True) if cookie else None

    def _from_token(self, token: str, kind: str, door: str, *, ambient: bool = False) -> Principal | None:
        claims = self.signer.verify(token, self.now())
        if claims is None or claims.kind != kind or claims.session_id in self.revoked:
            return None
        user = self.hub.auth.get(claims.user_id)
        if user is None or not user.active:
            return None
        return Principal(user, door, claims, ambient)

    async def _from_basic(self, value: str, remote: str) -> Principal | None:
        try:
            username, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        digest = hashlib.sha256(f"{username}\0{password}".encode()).hexdigest()
        cached = self._basic_cache.get(digest)
        now = self.now()
        if cached and cached[1] > now and (user := self.hub.auth.get(cached[0])) and user.active:
            return Principal(user, "api", ambient=True)
        found = await self.async_login(username, password, remote, "api", "basic")
        if found is None:
            return None
        if len(self._basic_cache) > 1000:
            self._basic_cache.clear()
        self._basic_cache[digest] = (found.id, now + BASIC_CACHE_SECONDS)
        return Principal(found, "api", ambient=True)


def async_register_services(hub: Hub) -> None:
    async def unlock(call: ServiceCall) -> dict[str, int]:
        data: Unlock = call.data
        return {"lifted": hub.auth.throttle.unlock(data.username, data.address)}

    hub.services.async_register(
        "ui", "unlock_login", unlock, Unlock, roles={Role.ADMIN},
        description="Lift the sign-in delays of a user name or a client address (after failed logins)",
    )  # fmt: skip
