"""Users and roles. Passwords are kept as salted scrypt hashes; users live in the database.

Every door that checks a password (web login, API token, basic auth) signs in through
`AuthManager.async_sign_in`: one throttle for failed attempts (throttle.py), one timing for known and
unknown names, one ceiling on the password's length. Every door that sets one goes through the rules
in passwords.py.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from .errors import HubError
from .passwords import MAX_PASSWORD_LENGTH, check_password
from .throttle import LoginThrottle

if TYPE_CHECKING:
    from .models import UserRow  # the ORM is imported only where rows are read

# scrypt cost: about 50 ms per hash on this class of machine, enough to slow a guessing attack.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{2,64}$")


class Role(StrEnum):
    ADMIN = "admin"
    OFFICER = "officer"  # 环保专员: register, alert level, reports
    GUARD = "guard"  # 门卫: lanes, corrections, special release
    INSPECTOR = "inspector"  # 检查人员: read-only audit
    ENGINEER = "engineer"  # automation engineer: devices and interfaces


@dataclass(frozen=True, slots=True)
class User:
    id: str
    username: str
    roles: frozenset[Role]
    active: bool = True

    def has_any(self, roles: frozenset[Role]) -> bool:
        return Role.ADMIN in self.roles or bool(self.roles & roles)


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    b64 = base64.b64encode
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(expected, actual)


class LoginThrottled(HubError):
    """Too many failed attempts for this name from this address; `retry_after` seconds to wait."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many failed logins; try again in {int(retry_after) + 1} s")
        self.retry_after = retry_after


def parse_roles(text: str | list[str]) -> frozenset[Role]:
    names = text.split(",") if isinstance(text, str) else text
    try:
        roles = frozenset(Role(name.strip()) for name in names if name.strip())
    except ValueError as err:
        raise HubError(f"{err}; roles are {', '.join(r.value for r in Role)}") from None
    if not roles:
        raise HubError("a user needs at least one role")
    return roles


class AuthManager:
    """Keeps users in the database and a copy in memory, so role checks never wait on storage."""

    def __init__(self) -> None:
        self._users: dict[str, User] = {}
        self.throttle = LoginThrottle()
        # An unknown name is checked against this hash, so it costs one scrypt like a known one.
        self._dummy_hash: str | None = None

    async def async_load(self) -> None:
        from .models import UserRow

        self._users = {row.id: _to_user(row) for row in await UserRow.all()}
        if self._dummy_hash is None:
            self._dummy_hash = await asyncio.get_running_loop().run_in_executor(
                None, hash_password, os.urandom(16).hex()
            )

    @property
    def dummy_hash(self) -> str | None:
        """A hash no password matches: a door checks an unknown name against it, so that the name
        costs what a known one costs (None until the users are loaded)."""
        return self._dummy_hash

    def get(self, user_id: str) -> User | None:
        return self._users.get(user_id)

    def by_name(self, username: str) -> User | None:
        return next((u for u in self._users.values() if u.username == username), None)

    def users(self) -> list[User]:
        return sorted(self._users.values(), key=lambda u: u.username)

    def roles_of(self, user_id: str) -> frozenset[Role] | None:
        user = self._users.get(user_id)
        return user.roles if user and user.active else None

    async def async_add_user(self, username: str, password: str, roles: frozenset[Role]) -> User:
        from .context import ulid_now
        from .models import UserRow

        if not USERNAME_PATTERN.match(username):
            raise HubError("username: 2-64 characters of letters, digits, _ . @ -")
        if self.by_name(username):
            raise HubError(f"user {username!r} exists already")
        check_password(password, username)
        encoded = await asyncio.get_running_loop().run_in_executor(None, hash_password, password)
        row = await UserRow.create(
            id=ulid_now(), username=username, password_hash=encoded, roles=",".join(sorted(roles))
        )
        self._users[row.id] = user = _to_user(row)
        return user

    async def async_set_password(self, username: str, password: str) -> None:
        from .models import UserRow

        user = self.by_name(username)
        if user is None:
            raise HubError(f"no user {username!r}")
        check_password(password, username)
        encoded = await asyncio.get_running_loop().run_in_executor(None, hash_password, password)
        await UserRow.filter(id=user.id).update(password_hash=encoded)

    async def async_set_active(self, username: str, active: bool) -> User:
        """Enable or disable an account; a disabled user's sessions and tokens stop working at once."""
        from dataclasses import replace

        from .models import UserRow

        user = self.by_name(username)
        if user is None:
            raise HubError(f"no user {username!r}")
        await UserRow.filter(id=user.id).update(active=active)
        self._users[user.id] = user = replace(user, active=active)
        return user

    async def async_sign_in(self, username: str, password: str, address: str, now: float) -> User | None:
        """The user for right credentials, None for wrong ones; LoginThrottled while this name from
        this address (or this address as a whole) must wait. `now`: the hub's clock, epoch seconds."""
        wait = self.throttle.retry_after(username, address, now)
        if wait > 0:
            raise LoginThrottled(wait)
        user = await self.async_authenticate(username, password)
        if user is None:
            self.throttle.failed(username, address, now)
        else:
            self.throttle.succeeded(username, address)
        return user

    async def async_authenticate(self, username: str, password: str) -> User | None:
        """The user if the password is right and the account active, else None.

        Takes the same time whether the name exists or not (one scrypt either way), so the time of a
        refusal does not tell which names exist. No throttle: doors use `async_sign_in`."""
        from .models import UserRow

        if not username or not password or len(password) > MAX_PASSWORD_LENGTH:
            return None
        # A name no user can have (a lone surrogate, say) is not looked up: it is simply unknown.
        row = await UserRow.get_or_none(username=username) if USERNAME_PATTERN.match(username) else None
        encoded = row.password_hash if row else self._dummy_hash
        if encoded is None:  # users not loaded yet: a dummy like any other
            encoded = self._dummy_hash = await asyncio.get_running_loop().run_in_executor(
                None, hash_password, os.urandom(16).hex()
            )
        ok = await asyncio.get_running_loop().run_in_executor(None, verify_password, password, encoded)
        if row is None or not ok or not row.active:
            return None
        return _to_user(row)


def _to_user(row: UserRow) -> User:
    return User(id=row.id, username=row.username, roles=parse_roles(row.roles), active=row.active)
