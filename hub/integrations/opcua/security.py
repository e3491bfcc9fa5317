"""Who is calling: OPC UA sessions signed in as hub users, and which requests they may make.

asyncua (2.1) asks the user manager synchronously while it activates a session, so the password
check cannot await the database. The hashes of the hub's users are therefore kept in memory
(refreshed from the user table every few seconds and after an unknown name), a good login is
remembered for a while so reconnecting SCADA clients cost nothing, and the slow scrypt check is
rationed per second, so guessing cannot stall the event loop. Failed attempts are slowed by the hub's
one login throttle (hub/core/throttle.py: growing delays, never a lock), whose client address is the
OPC UA door as a whole (asyncua does not tell the user manager the peer); a client reconnecting with
the password checked a moment ago is never held up by it. An unknown name is checked against a dummy
hash, so the time of a refusal does not tell which names exist. Every attempt fires `user_login`
(door "opcua") for the audit log.

asyncua does not hand the session to a method either; the permission ruleset, which it runs for
every request of a session just before the request itself in the same task, leaves the session's
user in a context variable that the method handlers read (`current_user`).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import os
from collections import deque
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from asyncua import ua
from asyncua.crypto.permission_rules import USER_TYPES, PermissionRuleset, User, UserRole

from hub.core import Context, Hub
from hub.core.auth import verify_password
from hub.core.const import EVENT_USER_LOGIN
from hub.core.events import UserLoginData
from hub.core.passwords import MAX_PASSWORD_LENGTH

from .const import LOGIN_CACHE_SECONDS, SLOW_CHECKS_PER_SECOND, USER_REFRESH_SECONDS

_LOGGER = logging.getLogger(__name__)
_CALLER: ContextVar[User | None] = ContextVar("ecogate_opcua_caller", default=None)
MAX_CREDENTIAL_LENGTH = 256
THROTTLE_ADDRESS = "opcua"  # the throttle's client address for every OPC UA session


@dataclass
class HubUaUser(User):
    """An OPC UA session's user: asyncua's User plus the hub user id that services check."""

    user_id: str | None = None


def current_user() -> User | None:
    """The user of the session whose request is being handled (None outside a request)."""
    return _CALLER.get()


class HubRuleset(PermissionRuleset):
    """Signed-in users may browse, read, subscribe and call; anonymous (when allowed) may not call.

    Nobody writes variables (they mirror the hub's states) or changes the address space.
    """

    def __init__(self, allow_anonymous: bool) -> None:
        self.allow_anonymous = allow_anonymous
        write = ua.NodeId(ua.ObjectIds.WriteRequest_Encoding_DefaultBinary)
        call = ua.NodeId(ua.ObjectIds.CallRequest_Encoding_DefaultBinary)
        self._user_ids = {ua.NodeId(t) for t in USER_TYPES} - {write}
        self._anonymous_ids = self._user_ids - {call}

    def check_validity(self, user: Any, action_type: Any, body: Any) -> bool:
        _CALLER.set(user)
        if isinstance(user, HubUaUser) and user.user_id:
            return action_type in self._user_ids
        if self.allow_anonymous and isinstance(user, User) and user.role == UserRole.Anonymous:
            return action_type in self._anonymous_ids
        return False


@dataclass(frozen=True, slots=True)
class _Credential:
    user_id: str
    password_hash: str
    active: bool


class HubUserManager:
    """asyncua user manager backed by the hub's users (hub.auth and its user table)."""

    def __init__(self, hub: Hub, allow_anonymous: bool) -> None:
        self.hub = hub
        self.allow_anonymous = allow_anonymous
        self._creds: dict[str, _Credential] = {}
        self._secret = os.urandom(32)
        self._good: dict[bytes, tuple[str, str, float]] = {}  # digest -> (user_id, hash, until)
        self._slow_checks: deque[float] = deque()
        self._refresh: asyncio.Task[None] | None = None
        self._last_refresh = 0.0

    # ----- the user table ------------------------------------------------------------------------
    async def async_refresh(self) -> None:
        """Reload the users' password hashes from the user table."""
        from hub.core.models import UserRow

        rows = await UserRow.all()
        self.set_users((r.username, r.id, r.password_hash, r.active) for r in rows)

    def set_users(self, users: Iterable[tuple[str, str, str, bool]]) -> None:
        """(username, user id, password hash, active) of every user, as the user table has them."""
        self._creds = {name: _Credential(uid, pw_hash, active) for name, uid, pw_hash, active in users}
        self._last_refresh = self.hub.clock.monotonic()

    async def async_refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(USER_REFRESH_SECONDS)
            try:
                await self.async_refresh()
            except Exception as err:  # the database may be busy; the next round tries again
                _LOGGER.warning("OPC UA: cannot reload users: %s", err)

    def _refresh_soon(self) -> None:
        idle = self._refresh is None or self._refresh.done()
        if idle and self.hub.clock.monotonic() - self._last_refresh > 2:
            # One reload, not a loop: a tracked task, so that block_till_done waits for it.
            self._refresh = self.hub.async_create_task(self.async_refresh(), "opcua users")

    # ----- asyncua's interface -------------------------------------------------------------------
    def get_user(
        self, iserver: Any, username: str | None = None, password: str | None = None, certificate: Any = None
    ) -> User | None:
        if username is None:
            if self.allow_anonymous:
                return User(role=UserRole.Anonymous)
            self._fire("", None, "refused", "anonymous")
            return None
        username = str(username).strip()[:MAX_CREDENTIAL_LENGTH]
        user_id, outcome = self._check(username, password if isinstance(password, str) else "")
        self._fire(username, user_id, outcome, "password")
        if user_id is None:
            return None
        return HubUaUser(role=UserRole.User, name=username, user_id=user_id)

    def _check(self, username: str, password: str) -> tuple[str | None, str]:
        now = self.hub.clock.monotonic()
        hub_user = self.hub.auth.by_name(username)
        cred = self._creds.get(username) if hub_user is not None else None
        usable = cred is not None and cred.active and hub_user is not None and hub_user.active
        digest = hmac.new(self._secret, f"{username}\0{password}".encode(), hashlib.sha256).digest()
        good = self._good.get(digest)
        if cred is not None and usable and good and good[1] == cred.password_hash and good[2] > now:
            return good[0], "ok"  # a reconnecting client: not held up by someone guessing its name
        throttle, wall = self.hub.auth.throttle, self.hub.now().timestamp()
        if throttle.retry_after(username, THROTTLE_ADDRESS, wall) > 0:
            return None, "locked"
        if not password or len(password) > MAX_PASSWORD_LENGTH:
            throttle.failed(username, THROTTLE_ADDRESS, wall)
            return None, "failed"
        while self._slow_checks and self._slow_checks[0] <= now - 1.0:
            self._slow_checks.popleft()
        if len(self._slow_checks) >= SLOW_CHECKS_PER_SECOND:
            return None, "busy"
        self._slow_checks.append(now)
        encoded = cred.password_hash if cred is not None else self.hub.auth.dummy_hash
        right = encoded is not None and verify_password(password, encoded)
        if cred is None or not right or not usable:
            throttle.failed(username, THROTTLE_ADDRESS, wall)
            # A user added since the last reload, or a password changed: known on the next try.
            self._refresh_soon()
            return None, "failed"
        throttle.succeeded(username, THROTTLE_ADDRESS)
        if len(self._good) > 1000:
            self._good = {k: v for k, v in self._good.items() if v[2] > now}
        self._good[digest] = (cred.user_id, cred.password_hash, now + LOGIN_CACHE_SECONDS)
        return cred.user_id, "ok"

    def _fire(self, username: str, user_id: str | None, outcome: str, method: str) -> None:
        if outcome != "ok":
            _LOGGER.warning("OPC UA login %s for %r (%s)", outcome, username, method)
        self.hub.bus.async_fire(
            EVENT_USER_LOGIN,
            UserLoginData(
                username=username, user_id=user_id, door="opcua", outcome=outcome, method=method, remote=None
            ),
            Context(user_id=user_id),
        )
