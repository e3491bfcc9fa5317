"""The user services (`auth.*`): add a user, set a password, enable or disable, list users, lift
sign-in delays; and `auth.change_own_password` for every signed-in user (with the current password).

Administrators only, but for a person's own password. `ecogate user ...` calls them (through the
running hub, or its own storage when none runs), so a user added while the hub runs can sign in and
act at once, and every change is audited like any other service call (the password itself never is:
see service.audit_summary).
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


class SetActive(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=1, max_length=64)
    active: bool


class ChangeOwnPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(min_length=1, max_length=1024)
    new_password: str


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
        return [{"username": u.username, "roles": sorted(u.roles), "active": u.active} for u in auth.users()]

    async def set_active(call: Any) -> dict[str, Any]:
        d: SetActive = call.data
        if not d.active and call.context.user_id == getattr(auth.by_name(d.username), "id", None):
            raise HubError("an administrator cannot disable their own account")
        user = await auth.async_set_active(d.username, d.active)
        return {"username": user.username, "active": user.active}

    async def change_own_password(call: Any) -> dict[str, Any]:
        d: ChangeOwnPassword = call.data
        user = auth.get(call.context.user_id) if call.context.user_id else None
        if user is None:
            raise HubError("only a signed-in person has a password of their own to change")
        if await auth.async_authenticate(user.username, d.current_password) is None:
            raise HubError("the current password is not right (当前密码不正确)")
        await auth.async_set_password(user.username, d.new_password)
        return {"username": user.username}

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
        ("set_active", set_active, SetActive, "启用/停用账号 enable or disable a user"),
    )
    for name, handler, schema, description in table:
        hub.services.async_register(DOMAIN, name, handler, schema, roles=ADMIN, description=description)
    hub.services.async_register(
        DOMAIN, "change_own_password", change_own_password, ChangeOwnPassword, roles=set(Role),
        description="修改本人密码 change your own password",
    )  # fmt: skip
