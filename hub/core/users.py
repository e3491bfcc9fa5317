"""The user services (`auth.*`): add a user, set a password, list users, lift sign-in delays.

Administrators only. `ecogate user ...` calls them (through the running hub, or its own storage when
none runs), so a user added while the hub runs can sign in and act at once, and every change is
audited like any other service call (the password itself never is: see service.audit_summary).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .auth import Role, parse_roles
from .errors import HubError

DOMAIN = "auth"
ADMIN = {Role.ADMIN}


class AddUser(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str  # the rules (passwords.py) say what is wrong with one, the same way at every door
    roles: list[str] = Field(min_length=1, max_length=len(Role))


class SetPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    password: str  # the rules (passwords.py) say what is wrong with one, the same way at every door


class Unlock(BaseModel):
    """A user name (every address), a client address, or both."""

    model_config = ConfigDict(extra="forbid")

    username: str | None = Field(None, min_length=1, max_length=64)
    address: str | None = Field(None, min_length=1, max_length=64)

    @model_validator(mode="after")
    def _one_at_least(self) -> Unlock:
        if self.username is None and self.address is None:
            raise ValueError("name a username, an address, or both")
        return self


class NoData(BaseModel):
    model_config = ConfigDict(extra="forbid")


def async_register_user_services(hub: Any) -> None:
    auth = hub.auth

    async def add_user(call: Any) -> dict[str, Any]:
        d: AddUser = call.data
        user = await auth.async_add_user(d.username, d.password, parse_roles(d.roles))
        return {"username": user.username, "roles": sorted(user.roles)}

    async def set_password(call: Any) -> dict[str, Any]:
        d: SetPassword = call.data
        await auth.async_set_password(d.username, d.password)
        return {"username": d.username}

    async def users(call: Any) -> list[dict[str, Any]]:
        return [
            {"username": u.username, "roles": sorted(u.roles), "active": u.active} for u in auth.users()
        ]

    async def unlock(call: Any) -> dict[str, Any]:
        d: Unlock = call.data
        if d.username is not None and auth.by_name(d.username) is None:
            raise HubError(f"no user {d.username!r}")
        return {"lifted": auth.throttle.unlock(d.username, d.address)}

    table = (
        ("add_user", add_user, AddUser, "添加用户 add a user"),
        ("set_password", set_password, SetPassword, "修改密码 set a user's password"),
        ("users", users, NoData, "用户列表 list users"),
        ("unlock", unlock, Unlock, "解除登录限制 lift a user's sign-in delays after failed logins"),
    )
    for name, handler, schema, description in table:
        hub.services.async_register(DOMAIN, name, handler, schema, roles=ADMIN, description=description)
