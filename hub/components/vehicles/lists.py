"""The blacklist (e.g. the platform's list of over-emitting vehicles), review marks and temporary passes.

A review mark sends a plate to the guard's review on its next arrivals instead of denying it (insight's
`flagging.policy: review` puts remote-sensing high emitters there); it is kept like a blacklist entry.

Both may name plates that are not in the register: a blacklisted stranger must still be stopped, and a
visiting truck gets a pass without a register record. Entries run out at `valid_until`; an expired pass
stays in the table (and its history) but no longer counts.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hub.core import HubError
from hub.util.plate import normalise_plate, validate_plate

from .codes import clean, parse_colour
from .const import ACTION_CREATED, ACTION_DELETED, ACTION_UPDATED
from .index import KIND_BLACKLIST, KIND_PASS, KIND_REVIEW, ListEntry
from .problems import problem
from .register import LIST_COLUMNS, Actor, Change, Register
from .transfer import ParsedFile

MAX_PASS = timedelta(days=366)


def checked_plate(plate: str, colour: str | None) -> tuple[str, str | None]:
    plate = normalise_plate(clean(plate))
    colour = parse_colour(colour) if colour else None
    if refused := validate_plate(plate, colour):
        raise HubError(problem("plate_invalid", problem=refused))
    return plate, colour


def _columns(item: ListEntry) -> dict[str, Any]:
    return {name: getattr(item, name) for name in LIST_COLUMNS}


def _ts(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


def _blacklist_change(
    register: Register, item: dict[str, Any], source: str, row: int | None = None, kind: str = KIND_BLACKLIST
) -> Change | None:
    columns = {
        "plate": item["plate"], "colour": item.get("colour"), "reason": item["reason"][:200],
        "source": source,
        "valid_from_ts": None, "valid_until_ts": _ts(item.get("valid_until")), "approver": None,
    }  # fmt: skip
    marks = register.index.review_marks if kind == KIND_REVIEW else register.index.blacklist
    existing = marks.get(item["plate"])
    if existing is None:
        return Change(ACTION_CREATED, kind, item["plate"], 0, None, columns, row)
    if _columns(existing) == columns:
        return None
    return Change(ACTION_UPDATED, kind, item["plate"], existing.id, _columns(existing), columns, row)


async def async_blacklist_add(
    register: Register, plate: str, colour: str | None, reason: str, source: str,
    valid_until: datetime | None, actor: Actor, kind: str = KIND_BLACKLIST,
) -> dict[str, Any]:  # fmt: skip
    """Put a plate on the blacklist, or (kind review) mark it for the guard's review."""
    plate, colour = checked_plate(plate, colour)
    if valid_until is not None and valid_until <= register.hub.now():
        raise HubError(problem("valid_until_past"))
    async with register.lock:
        item = {"plate": plate, "colour": colour, "reason": reason, "valid_until": valid_until}
        change = _blacklist_change(register, item, source, kind=kind)
        await register.async_commit([change] if change else [], actor)
    marks = register.index.review_marks if kind == KIND_REVIEW else register.index.blacklist
    return {"action": change.action if change else "unchanged", "entry": marks[plate].public()}


async def async_blacklist_remove(
    register: Register, plate: str, actor: Actor, kind: str = KIND_BLACKLIST
) -> dict[str, Any]:
    plate = normalise_plate(clean(plate))
    async with register.lock:
        marks = register.index.review_marks if kind == KIND_REVIEW else register.index.blacklist
        existing = marks.get(plate)
        if existing is None:
            return {"removed": 0}
        change = Change(ACTION_DELETED, kind, plate, existing.id, _columns(existing), None)
        await register.async_commit([change], actor)
    return {"removed": 1}


async def async_blacklist_import(
    register: Register, parsed: ParsedFile, source: str, replace: bool, actor: Actor, *, dry_run: bool = False
) -> dict[str, Any]:
    """Add or refresh the file's plates; with replace, entries of the same source not in the file go."""
    total = len(parsed.items) + len(parsed.errors)
    async with register.lock:
        changes = [c for row, item in parsed.items if (c := _blacklist_change(register, item, source, row))]
        if replace:
            listed = {item["plate"] for _, item in parsed.items}
            changes += [
                Change(ACTION_DELETED, KIND_BLACKLIST, e.plate, e.id, _columns(e), None)
                for e in list(register.index.blacklist.values())
                if e.source == source and e.plate not in listed
            ]
        if not dry_run:
            await register.async_commit(changes, actor)
    count = {a: sum(c.action == a for c in changes) for a in (ACTION_CREATED, ACTION_UPDATED, ACTION_DELETED)}
    return {
        "total": total, "created": count[ACTION_CREATED], "updated": count[ACTION_UPDATED],
        "removed": count[ACTION_DELETED], "rejected": len(parsed.errors),
        "errors": sorted(parsed.errors, key=lambda e: e["row"]), "warnings": parsed.warnings,
        "dry_run": dry_run,
    }  # fmt: skip


async def async_pass_add(
    register: Register, plate: str, colour: str | None, valid_from: datetime | None, valid_until: datetime,
    reason: str, approver: str | None, actor: Actor,
) -> dict[str, Any]:  # fmt: skip
    plate, colour = checked_plate(plate, colour)
    now = register.hub.now()
    start = valid_from or now
    if valid_until <= max(start, now):
        raise HubError(problem("pass_end"))
    if valid_until - start > MAX_PASS:
        raise HubError(problem("pass_too_long", days=MAX_PASS.days))
    columns = {
        "plate": plate, "colour": colour, "reason": reason[:200], "source": "manual",
        "valid_from_ts": _ts(start), "valid_until_ts": _ts(valid_until), "approver": approver,
    }  # fmt: skip
    change = Change(ACTION_CREATED, KIND_PASS, plate, 0, None, columns)
    async with register.lock:
        await register.async_commit([change], actor)
    return {"action": ACTION_CREATED, "entry": register.index.lists[change.entry_id].public()}


async def async_pass_remove(
    register: Register, pass_id: int | None, plate: str | None, actor: Actor
) -> dict[str, Any]:
    """End one pass (by id) or every pass of a plate."""
    async with register.lock:
        if pass_id is not None:
            found = [register.index.lists[pass_id]] if pass_id in register.index.lists else []
            found = [p for p in found if p.kind == KIND_PASS]
        else:
            found = list(register.index.passes.get(normalise_plate(clean(plate or "")), []))
        changes = [Change(ACTION_DELETED, KIND_PASS, p.plate, p.id, _columns(p), None) for p in found]
        await register.async_commit(changes, actor)
    return {"removed": len(changes)}


def list_entries(
    register: Register, kind: str | None, plate: str | None, active_only: bool
) -> list[dict[str, Any]]:
    now_ts = register.hub.now().timestamp()
    wanted = normalise_plate(clean(plate)) if plate else None
    items = [
        item.public() | {"active": item.active(now_ts)}
        for item in register.index.lists.values()
        if (kind is None or item.kind == kind)
        and (wanted is None or item.plate == wanted)
        and (not active_only or item.active(now_ts))
    ]
    return sorted(items, key=lambda i: (i["kind"], i["plate"], i["id"]))
