"""A passage's follow-up rows as a person reads them: who, what, and why, in the page's language.

The ledger keeps each follow-up as a kind and its data; the page shows `车牌校正，车牌 冀B66666，重新判定
放行，原因 末位误识别` instead of the keys. The hub's own codes (decisions, platform answers, lifecycle
steps) are shown by their labels; fields the page does not know are left out, not shown raw.
"""

from __future__ import annotations

from typing import Any

from hub.core import Hub

from .i18n import Translator

# What each kind says, in this order; the reason always comes last.
FIELDS: dict[str, tuple[str, ...]] = {
    "correction": ("plate", "decision", "reason_text"),
    "release": ("approver", "valid_minutes"),
    "weight": ("weight_kg", "indicator"),
    "cargo": ("cargo", "quantity", "unit", "origin", "destination", "driver", "driver_phone"),
    "acceptance": ("platform", "status", "message"),
    "lifecycle": ("state",),
    "emission": ("unit",),  # the reason names what exceeded which limit
}
# Fields that hold a code, and the list that names it.
CODE_LISTS = {"decision": "decision", "status": "acceptance", "state": "lifecycle"}


def describe(t: Translator, followup: dict[str, Any]) -> str:
    kind = str(followup.get("kind"))
    head_key = f"followup.{kind}.confirmed" if followup.get("confirmed") else f"followup.{kind}"
    pieces = [t(head_key, t(f"kind.{kind}", kind))]
    for key in FIELDS.get(kind, ()):
        value = followup.get(key)
        if value is None or value == "":
            continue
        if key in CODE_LISTS:
            value = t(f"{CODE_LISTS[key]}.{value}", str(value))
        pieces.append(t(f"followup.field.{key}", f"{key} {{value}}", value=value))
    if followup.get("reason"):
        pieces.append(t("followup.field.reason", "{value}", value=followup["reason"]))
    return t("followup.separator", ", ").join(pieces)


def actor_name(hub: Hub, actor: str | None) -> str:
    """The user's name for a user id; other actors (the platform, the hub) as they are recorded."""
    if not actor:
        return ""
    user = hub.auth.get(actor)
    return user.username if user is not None else actor


def readable(hub: Hub, t: Translator, followups: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"seq": f.get("seq"), "recorded_at": f.get("recorded_at"), "kind": f.get("kind"),
         "actor": actor_name(hub, f.get("actor")), "text": describe(t, f)}
        for f in followups
    ]  # fmt: skip
