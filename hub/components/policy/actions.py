"""What people do to a passage or the plant: special release, plate correction, read confirmation,
switching the alert level. Each leaves a follow-up row that points at the original; none rewrites it."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from hub.core import Context, ServiceValidationError

from .alert import LEVEL_OF_RESPONSE, RESPONSE_OF, AlertState
from .const import DOMAIN, Phase, Reason, Verdict
from .decide import Decision, Read, render
from .manager import PolicyManager
from .online_check import Where, async_decide
from .passage import Passage


async def async_find(
    manager: PolicyManager, service: str, passage_id: str
) -> tuple[Passage | None, dict[str, Any] | None]:
    """The passage in memory (this run saw it), else its ledger row; an error if neither knows it."""
    passage = manager.passages.get(passage_id)
    if passage is not None:
        return passage, None
    query = {"passage_id": passage_id, "page_size": 1}
    items = (await manager.hub.services.async_call("ledger", "query", query))["items"]
    if not items:
        what = f"no passage {passage_id} (未找到该通行记录)"
        raise ServiceValidationError(DOMAIN, service, [("passage_id", what)])
    return None, items[0]


def _recent(manager: PolicyManager, row: dict[str, Any]) -> bool:
    ts = row.get("recorded_ts")
    limit = manager.config.release_open_minutes * 60
    return isinstance(ts, int | float) and manager.hub.now().timestamp() - ts <= limit


def _adopt(manager: PolicyManager, row: dict[str, Any]) -> Passage:
    """A passage this run did not see (recorded before a restart), tracked from its ledger row."""
    now = manager.hub.now()
    decision = Decision(
        Verdict(row.get("decision") or "deny"), str(row.get("reason_code") or ""),
        str(row.get("reason_text") or ""), row.get("rule"), bool(row.get("needs_review")),
        str(row.get("vehicle_class") or "unknown"),
    )  # fmt: skip
    passage = Passage(
        passage_id=row["passage_id"], read_id=row.get("read_id"), gate=row["gate"], lane=row["lane"],
        direction=row.get("direction") or "in", plate=row.get("plate") or "",
        colour=row.get("colour") or "unknown", decision=decision,
        alert_level=row.get("alert_level") or "normal", created_at=now, last_seen=now,
        vehicle=dict(row.get("vehicle") or {}),
        phase=Phase.DENIED if decision.verdict is Verdict.DENY else Phase.DECIDED, seq=row.get("seq"),
    )  # fmt: skip
    manager.passages.add(passage)
    return passage


# ----- special release (特批放行) -----------------------------------------------------------------
REQUESTED = "release requested, awaiting approval (已提交放行申请，等待环保专员审批)"


async def async_release(
    manager: PolicyManager,
    passage_id: str,
    reason: str,
    approver: str | None,
    valid_minutes: int | None,
    context: Context,
    door: str = "internal",
) -> dict[str, Any]:
    passage, row = await async_find(manager, "release", passage_id)
    where: dict[str, Any] = {"gate": passage.gate, "lane": passage.lane} if passage else dict(row or {})
    plate = passage.plate if passage else where.get("plate")
    if (asked := await _async_screen(manager, passage_id, where, plate, reason, context, door)) is not None:
        return asked
    track = manager.lane(where["gate"], where["lane"])
    async with track.lock:
        followup: dict[str, Any] = {"approver": approver, "valid_minutes": valid_minutes}
        data = {k: v for k, v in followup.items() if v is not None}
        row_of = {"passage_id": passage_id, "kind": "release", "reason": reason, "data": data}
        result = await manager.hub.services.async_call("ledger", "record_followup", row_of, context)
        if (
            passage is None
            and row is not None
            and _recent(manager, row)
            and (track.current is None or track.current.finished)
        ):
            passage = _adopt(manager, row)
            track.current = passage
        opened = False
        if passage is not None:
            text = render(manager.book.texts.get("released", "{reason}"), {"reason": reason.strip()})
            passage.decision = replace(
                passage.decision, verdict=Verdict.ALLOW, reason_code=Reason.RELEASED, reason_text=text,
                needs_review=False,
            )  # fmt: skip
            passage.last_seq = result["seq"]
            if track.current is passage:
                # The barrier is moved by the hub (the guard's role may not include barrier.open, an
                # officer's does not): the release itself is what the person did, and it is audited.
                opened = await manager.devices.async_actuate(track, passage, Context(parent_id=context.id))
                manager.control.announce(track, passage, context)
        return {"seq": result["seq"], "passage_id": passage_id, "opened": opened}


async def _async_screen(
    manager: PolicyManager, passage_id: str, where: dict[str, Any], plate: str | None, reason: str,
    context: Context, door: str,
) -> dict[str, Any] | None:  # fmt: skip
    """A person's release is first shown to the console, which knows the lanes where an officer must
    approve (ui/release.py): whatever door it came by, it may come back as a request, which is what the
    caller is told. None: it goes ahead. The hub's own releases (no user) are never asked about."""
    hub = manager.hub
    if context.user_id is None or not hub.services.has_service("ui", "screen_release"):
        return None
    release = {"passage_id": passage_id, "gate": where["gate"], "lane": where["lane"],
               "plate": plate or None, "reason": reason, "user_id": context.user_id,
               "cause": context.parent_id, "door": door}  # fmt: skip
    request = await hub.services.async_call("ui", "screen_release", release, Context(parent_id=context.id))
    if request is None:
        return None
    return {**request, "requested": True, "request_id": request["id"], "opened": False, "message": REQUESTED}


# ----- plate correction (人工校正) and read confirmation ----------------------------------------
async def async_redecide(
    manager: PolicyManager,
    service: str,
    passage_id: str,
    plate: str | None,
    colour: str | None,
    reason: str,
    context: Context,
) -> dict[str, Any]:
    """Decide again with the plate a guard typed or confirmed; the correction row carries the new
    decision, and the barrier acts on it if the vehicle is still the lane's current one."""
    passage, row = await async_find(manager, service, passage_id)
    src: dict[str, Any] = dict(row or {})
    if passage is not None:
        src = {"gate": passage.gate, "lane": passage.lane, "direction": passage.direction,
               "plate": passage.plate, "colour": passage.colour}  # fmt: skip
    track = manager.lane(src["gate"], src["lane"])
    async with track.lock:
        read = Read(
            plate or src["plate"], colour or src.get("colour") or "unknown", src.get("direction") or "in"
        )
        record, failed = await manager.register.async_lookup(read, context)
        alert = manager.select.current(manager.hub.now())
        # As for a camera's read: the platform may be asked about the corrected plate too.
        where = Where(read, src["gate"], src["lane"])
        decision, vehicle = await async_decide(
            manager, where, record, failed, level=alert.level, measure_code=alert.measure_code,
            when=manager.hub.now(),
        )  # fmt: skip
        data = {
            "plate": read.plate,
            "colour": read.colour if read.colour != "unknown" else None,
            "decision": decision.verdict.value,
            "reason_code": str(decision.reason_code),
            "reason_text": decision.reason_text,
            "rule": decision.rule,
            "alert_level": alert.level,
            "vehicle_class": decision.vehicle_class,
            "vehicle": vehicle,  # the vehicle the corrected plate names, as the passage kept its own
            "confirmed": service == "confirm_read",
        }
        kept = {k: v for k, v in data.items() if v is not None}
        row_of = {"passage_id": passage_id, "kind": "correction", "reason": reason, "data": kept}
        result = await manager.hub.services.async_call("ledger", "record_followup", row_of, context)
        opened = False
        if passage is not None:
            passage.plate, passage.colour, passage.decision = read.plate, read.colour, decision
            passage.vehicle, passage.alert_level, passage.last_seq = vehicle, alert.level, result["seq"]
            if track.current is passage and passage.phase in (Phase.DECIDED, Phase.DENIED):
                opened = await manager.devices.async_actuate(track, passage, Context(parent_id=context.id))
            if track.current is passage:
                manager.control.announce(track, passage, context)
        return {
            "seq": result["seq"],
            "passage_id": passage_id,
            "plate": read.plate,
            "decision": decision.verdict.value,
            "reason_code": str(decision.reason_code),
            "reason_text": decision.reason_text,
            "rule": decision.rule,
            "opened": opened,
        }


# ----- alert level -----------------------------------------------------------------------------
def build_alert(
    manager: PolicyManager,
    *,
    level: str | None,
    response_level: str | None,
    measure_code: int | None,
    measure: str | None,
    start: datetime | None,
    end: datetime | None,
    source: str,
    reason: str | None,
    user_id: str | None,
) -> AlertState:
    tz = manager.hub.clock.tz
    start = start.replace(tzinfo=tz) if start is not None and start.tzinfo is None else start
    end = end.replace(tzinfo=tz) if end is not None and end.tzinfo is None else end
    if measure_code is not None and measure_code not in manager.book.measures:
        known = ", ".join(str(c) for c in sorted(manager.book.measures))
        raise ServiceValidationError(
            DOMAIN,
            "set_alert_level",
            [("measure_code", f"unknown control measure {measure_code}; one of {known}")],
        )
    if level is None:
        level = LEVEL_OF_RESPONSE.get(response_level or "", manager.select.alert.level)
    if end is not None and end <= (start or manager.hub.now()):
        raise ServiceValidationError(DOMAIN, "set_alert_level", [("end", "the end is not after the start")])
    if end is not None and end <= manager.hub.now():
        # Put in force and ended in the same breath, it would only flip the lanes twice.
        raise ServiceValidationError(
            DOMAIN, "set_alert_level", [("end", "the period has already ended (预警时段已结束)")]
        )
    return AlertState(
        level=level,
        response_level=response_level or RESPONSE_OF.get(level),
        measure_code=measure_code,
        measure=measure,
        start=start,
        end=end,
        source=source,
        reason=reason,
        user_id=user_id,
    )


def apply_alert(manager: PolicyManager, new: AlertState, context: Context) -> dict[str, Any]:
    state = manager.select.switch(new, context)
    scheduled = state.pending is not None and state.pending == new
    return {
        "level": state.level,
        "scheduled": state.pending.as_dict() if scheduled and state.pending else None,
        "start": state.start.isoformat() if state.start else None,
        "end": state.end.isoformat() if state.end else None,
    }


def cancel_scheduled_alert(manager: PolicyManager, context: Context) -> dict[str, Any]:
    """Drop the alert waiting to start; the one in force stays."""
    pending = manager.select.cancel_pending(context)
    if pending is None:
        raise ServiceValidationError(
            DOMAIN, "cancel_scheduled_alert", [("scheduled", "no alert is scheduled")]
        )
    return {"cancelled": pending.as_dict()}
