"""Kiosk tokens: read-only access for a control-room screen, or for an HMI that embeds the widgets.

An administrator makes one per screen (`ui.add_kiosk_token`: a name and the widgets it may show). The
token is random, shown once, and kept only as its SHA-256 in `ui_kiosk_tokens.json` in the data
directory. Given as `?kiosk=<token>`, it opens the big screen or the widgets it names, their figures
(`/api/screen`) and the live feed — nothing else: no service may be called with it (its principal has
no roles and is no user of the hub), no photo fetched, no other page seen. `ui.revoke_kiosk_token`
ends it at once. Both are service calls, so the audit log keeps who made and who revoked each one.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from hub.core import Hub, HubError, ServiceCall
from hub.core.auth import Role, User
from hub.util.files import write_atomic

from .bigscreen import WIDGETS

FILE = "ui_kiosk_tokens.json"
SCREEN = "screen"  # the whole big screen, besides the widgets
ALWAYS = frozenset({"/api/screen", "/api/websocket"})


@dataclass(slots=True)
class KioskToken:
    name: str
    sha256: str
    views: list[str] = field(default_factory=list)  # "screen" and widget names; empty: all of them
    created_at: str = ""
    created_by: str | None = None

    def opens(self, path: str) -> bool:
        if path in ALWAYS:
            return True
        if path == "/screen":
            view = SCREEN
        elif path.startswith("/widgets/"):
            view = path.removeprefix("/widgets/")
        else:
            return False
        return not self.views or view in self.views

    def user(self) -> User:
        """Who the kiosk is to the pages: a name, and no role at all."""
        return User(id=f"kiosk:{self.name}", username=f"kiosk:{self.name}", roles=frozenset())


class KioskTokens:
    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / FILE
        self.tokens: dict[str, KioskToken] = {}  # by name

    def load(self) -> None:
        """Blocking."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        self.tokens = {t["name"]: KioskToken(**t) for t in raw}

    def save(self) -> None:
        """Blocking."""
        text = json.dumps([asdict(t) for t in self.tokens.values()], ensure_ascii=False, indent=1)
        write_atomic(self.path, text.encode("utf-8"), sync_dir=True)

    def find(self, token: str) -> KioskToken | None:
        digest = hashlib.sha256(token.encode()).hexdigest()
        return next((t for t in self.tokens.values() if secrets.compare_digest(t.sha256, digest)), None)


class AddKioskToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,40}$")  # which screen: control_room_1, wincc_panel
    views: list[str] = Field(default_factory=list, max_length=len(WIDGETS) + 1)


class RevokeKioskToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40)


class NoData(BaseModel):
    model_config = ConfigDict(extra="forbid")


def async_register_services(hub: Hub, tokens: KioskTokens) -> None:
    async def add(call: ServiceCall) -> dict[str, Any]:
        d: AddKioskToken = call.data
        unknown = sorted(set(d.views) - {SCREEN, *WIDGETS})
        if unknown:
            raise HubError(f"unknown views {unknown}; one of {SCREEN}, {', '.join(WIDGETS)}")
        if d.name in tokens.tokens:
            raise HubError(f"a kiosk token named {d.name!r} exists; revoke it first")
        token = secrets.token_urlsafe(32)
        by = hub.auth.get(call.context.user_id) if call.context.user_id else None
        tokens.tokens[d.name] = KioskToken(
            d.name, hashlib.sha256(token.encode()).hexdigest(), sorted(set(d.views)),
            hub.now().isoformat(), by.username if by else None,
        )  # fmt: skip
        await hub.async_add_executor_job(tokens.save)
        return {"name": d.name, "views": sorted(set(d.views)), "token": token}

    async def revoke(call: ServiceCall) -> dict[str, Any]:
        d: RevokeKioskToken = call.data
        if tokens.tokens.pop(d.name, None) is None:
            raise HubError(f"no kiosk token named {d.name!r}")
        await hub.async_add_executor_job(tokens.save)
        return {"revoked": d.name}

    async def listing(call: ServiceCall) -> list[dict[str, Any]]:
        return [{k: v for k, v in asdict(t).items() if k != "sha256"} for t in tokens.tokens.values()]

    admin = {Role.ADMIN}
    reg = hub.services.async_register
    reg("ui", "add_kiosk_token", add, AddKioskToken, roles=admin, description="大屏/组件只读令牌 add one")
    reg("ui", "revoke_kiosk_token", revoke, RevokeKioskToken, roles=admin, description="吊销只读令牌")
    reg("ui", "kiosk_tokens", listing, NoData, roles=admin, description="只读令牌列表 kiosk tokens")
