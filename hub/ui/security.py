"""Who is asking: session cookie (pages), bearer token or basic auth (REST clients); login and log-out.

Every attempt to sign in, good or bad, fires `user_login` so the audit log sees it. Failed attempts are
limited per user name and per client address.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
from dataclasses import dataclass

from aiohttp import web

from hub.core import Context, Hub
from hub.core.auth import Role, User
from hub.core.const import EVENT_USER_LOGIN

from .config import UiConfig
from .const import SESSION_COOKIE
from .tokens import LoginLimiter, RevokedSessions, TokenClaims, TokenSigner

_LOGGER = logging.getLogger(__name__)
# A REST client sending basic auth on every request would otherwise cost a slow hash each time.
BASIC_CACHE_SECONDS = 60.0
MAX_CREDENTIAL_LENGTH = 256


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    door: str  # "ui" for the HMI's own session, "api" for REST clients
    claims: TokenClaims | None = None

    def context(self) -> Context:
        return Context(user_id=self.user.id)

    def may(self, roles: frozenset[Role] | None) -> bool:
        return roles is None or self.user.has_any(roles)


class LoginRefused(Exception):
    """Too many failed attempts; `retry_after` seconds until the next one is heard."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many failed logins; try again in {int(retry_after) + 1} s")
        self.retry_after = retry_after


class Authenticator:
    def __init__(self, hub: Hub, config: UiConfig, secret: str) -> None:
        self.hub = hub
        self.config = config
        self.signer = TokenSigner(secret)
        self.revoked = RevokedSessions(hub.data_dir)
        self.limiter = LoginLimiter(config.max_failed_logins, config.lockout_minutes * 60)
        self._basic_cache: dict[str, tuple[str, float]] = {}

    def now(self) -> float:
        return self.hub.now().timestamp()

    # ----- signing in ----------------------------------------------------------------------------
    async def async_login(
        self, username: str, password: str, remote: str, door: str, method: str
    ) -> User | None:
        """The user for right credentials, None for wrong ones; LoginRefused while locked out."""
        username = username.strip()[:MAX_CREDENTIAL_LENGTH]
        keys = (f"user:{username.lower()}", f"addr:{remote}")
        wait = self.limiter.retry_after(keys, self.now())
        if wait > 0:
            self._fire(username, None, door, "locked", method, remote)
            raise LoginRefused(wait)
        user = None
        if username and password and len(password) <= MAX_CREDENTIAL_LENGTH:
            user = await self.hub.auth.async_authenticate(username, password)
        if user is None:
            self.limiter.failed(keys, self.now())
            self._fire(username, None, door, "failed", method, remote)
            return None
        self.limiter.succeeded(keys[0])
        self._fire(username, user.id, door, "ok", method, remote)
        return user

    def _fire(
        self, username: str, user_id: str | None, door: str, outcome: str, method: str, remote: str
    ) -> None:
        if outcome != "ok":
            _LOGGER.warning("Login %s for %r from %s (%s)", outcome, username, remote, method)
        self.hub.bus.async_fire(
            EVENT_USER_LOGIN,
            {"username": username, "user_id": user_id, "door": door, "outcome": outcome,
             "method": method, "remote": remote},
            Context(user_id=user_id),
        )  # fmt: skip

    def issue(self, user: User, kind: str) -> tuple[str, TokenClaims]:
        hours = self.config.session_hours if kind == "session" else self.config.token_hours
        return self.signer.issue(user.id, kind, self.now() + hours * 3600)

    async def async_logout(self, claims: TokenClaims) -> None:
        snapshot = self.revoked.add(claims, self.now())
        await self.hub.async_add_executor_job(self.revoked.save, snapshot)

    # ----- each request --------------------------------------------------------------------------
    async def async_principal(self, request: web.Request) -> Principal | None:
        """The signed-in user of a request, from its Authorization header or session cookie.

        Raises LoginRefused for basic auth while the name or address is locked out.
        """
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer":
            return self._from_token(value.strip(), "token", "api")
        if scheme.lower() == "basic":
            return await self._from_basic(value.strip(), request.remote or "?")
        cookie = request.cookies.get(SESSION_COOKIE)
        return self._from_token(cookie, "session", "ui") if cookie else None

    def _from_token(self, token: str, kind: str, door: str) -> Principal | None:
        claims = self.signer.verify(token, self.now())
        if claims is None or claims.kind != kind or claims.session_id in self.revoked:
            return None
        user = self.hub.auth.get(claims.user_id)
        if user is None or not user.active:
            return None
        return Principal(user, door, claims)

    async def _from_basic(self, value: str, remote: str) -> Principal | None:
        try:
            username, _, password = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        digest = hashlib.sha256(f"{username}\0{password}".encode()).hexdigest()
        cached = self._basic_cache.get(digest)
        now = self.now()
        if cached and cached[1] > now and (user := self.hub.auth.get(cached[0])) and user.active:
            return Principal(user, "api")
        found = await self.async_login(username, password, remote, "api", "basic")
        if found is None:
            return None
        if len(self._basic_cache) > 1000:
            self._basic_cache.clear()
        self._basic_cache[digest] = (found.id, now + BASIC_CACHE_SECONDS)
        return Principal(found, "api")
