"""Two-step release (两级审批放行): on a lane so configured, a guard's release is a request an officer
approves or refuses within a time limit.

    ui:
      release:
        - {gate: east_gate, release: two_step, approve_within: 300}   # every lane of the gate
        - {gate: west_gate, lane: in, release: direct}                 # a lane's entry wins over its gate's

The policy asks this desk (`ui.screen_release`, internal) before every release a person makes, whatever
the door (HMI, REST, MQTT, OPC UA) and whether the truck still waits or left long ago: `policy.release`,
and `policy.open_barrier` while the lane's truck waits. On a two-step lane a guard's release becomes a
request and the caller is told so; an officer's or administrator's goes through. An officer sees the
request on /approvals (made for a phone) and the lanes page, and approves (`ui.approve_release`: the
existing `policy.release` runs on the guard's behalf, in the approval's context, with the officer as its
approver, so the ledger's release row names both) or refuses with a reason (`ui.refuse_release`). A request
nobody answers within `approve_within` seconds (the hub's monotonic clock) expires. The request and the
expiry are written to the audit log by the desk, the answers by their service calls. Requests live in the
hub's memory: a page reload shows them again; a hub restart drops the pending ones and the guard asks
again (kept simple: a restart is rare and the truck has usually gone by then).
"""

from __future__ import annotations

import itertools
import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.core import Context, Hub, HubError, ServiceCall, ServiceValidationError
from hub.core.auth import Role, User
from hub.core.gate import Slug

from .const import EVENT_RELEASE_REQUEST
from .lanes import device_name

_LOGGER = logging.getLogger(__name__)
KEEP_SETTLED = 50  # answered requests shown under the pending ones
APPROVERS = frozenset({Role.OFFICER})
RELEASE_AT_ONCE = APPROVERS | {Role.ADMIN}  # whose own release needs nobody else
STATUS_ZH = {
    "pending": "待审批",
    "approved": "已批准",
    "refused": "已拒绝",
    "expired": "已超时",
    "failed": "执行失败",
}


class ReleaseRule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    gate: Slug
    lane: Slug | None = None  # the whole gate when absent
    release: Literal["two_step", "direct"] = "two_step"
    approve_within: int = Field(300, ge=30, le=24 * 3600)  # seconds the officer has to answer


def rule_for(rules: list[ReleaseRule], gate: str, lane: str) -> ReleaseRule | None:
    """The lane's own rule, else its gate's; None (or `direct`) releases at once, as without this."""
    own = next((r for r in rules if r.gate == gate and r.lane == lane), None)
    rule = own or next((r for r in rules if r.gate == gate and r.lane is None), None)
    return rule if rule is not None and rule.release == "two_step" else None


class ScreenRelease(BaseModel):
    """A person's release as the policy is about to make it (the policy found the passage and its lane)."""

    model_config = ConfigDict(extra="forbid")

    passage_id: str = Field(min_length=1, max_length=64)
    gate: Slug
    lane: Slug
    plate: str | None = Field(None, max_length=16)
    reason: str = Field(min_length=1, max_length=500)
    user_id: str = Field(min_length=1, max_length=64)  # who releases
    cause: str | None = Field(None, max_length=64)  # the release call's parent context: an approval's?
    door: str = Field("internal", max_length=16)


class AnswerRelease(BaseModel):
    model_config = ConfigDict(extra="forbid")

    request_id: str = Field(min_length=1, max_length=32)
    reason: str = Field("", max_length=500)  # a refusal must say why; an approval may


@dataclass(slots=True)
class ReleaseRequest:
    id: str
    passage_id: str
    gate: str
    lane: str
    where: str  # the lane as people call it (its camera's name), else gate / lane
    plate: str | None
    reason: str
    requested_by: str  # user id: the release runs on their behalf
    requester: str  # their name, for people
    door: str  # where the guard asked: ui, api, mqtt, opcua
    requested_at: str
    due_at: str
    due: float  # on the monotonic clock
    status: str = "pending"  # approved, refused, expired, failed
    answered_by: str | None = None
    answered_at: str | None = None
    answer: str | None = None
    approval: str | None = None  # the approving call's context id: the release it causes goes through

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["due"], out["requested_by"], out["approval"]
        return out


class ReleaseDesk:
    """The pending requests and the last answered ones; expiry on the hub's clock."""

    def __init__(self, hub: Hub, rules: list[ReleaseRule]) -> None:
        self.hub = hub
        self.rules = rules
        self.requests: dict[str, ReleaseRequest] = {}
        self._ids = itertools.count(1)
        self._timers: dict[str, Callable[[], None]] = {}  # request id -> cancel of its expiry

    def async_stop(self) -> None:
        for cancel in self._timers.values():
            cancel()
        self._timers.clear()

    def snapshot(self) -> dict[str, Any]:
        self.expire_due()
        items = sorted(self.requests.values(), key=lambda r: (r.status != "pending", r.requested_at))
        return {"items": [r.as_dict() for r in items if r.status == "pending"]
                + [r.as_dict() for r in reversed(items) if r.status != "pending"]}  # fmt: skip

    def pending_for(self, passage_id: str) -> ReleaseRequest | None:
        return next(
            (r for r in self.requests.values() if r.passage_id == passage_id and r.status == "pending"), None
        )

    # ----- the one place that decides ---------------------------------------------------------------
    def screen(self, d: ScreenRelease) -> ReleaseRequest | None:
        """None: the release goes ahead. Else the request (new, or the one already pending) it became:
        a guard's release on a two-step lane, unless an officer's approval of this passage caused it."""
        user = self.hub.auth.get(d.user_id)
        if user is None:
            raise HubError("a release is a person's: sign in")
        rule = rule_for(self.rules, d.gate, d.lane)
        if rule is None or user.has_any(RELEASE_AT_ONCE):
            return None
        if any(
            r.approval == d.cause and r.passage_id == d.passage_id and r.status == "approved"
            for r in self.requests.values()
        ):
            return None
        self.expire_due()
        return self.pending_for(d.passage_id) or self._request(d, rule, user)

    # ----- the three steps -----------------------------------------------------------------------
    def _request(self, d: ScreenRelease, rule: ReleaseRule, user: User) -> ReleaseRequest:
        now, monotonic = self.hub.now(), self.hub.clock.monotonic()
        name = device_name(self.hub, f"sensor.{d.gate}_{d.lane}_plate") or f"{d.gate} / {d.lane}"
        request = ReleaseRequest(
            id=f"{next(self._ids)}-{secrets.token_hex(3)}", passage_id=d.passage_id, gate=d.gate,
            lane=d.lane, where=name, plate=d.plate, reason=d.reason, requested_by=user.id,
            requester=user.username, door=d.door, requested_at=now.isoformat(),
            due_at=(now + timedelta(seconds=rule.approve_within)).isoformat(),
            due=monotonic + rule.approve_within,
        )  # fmt: skip
        self.requests[request.id] = request
        self._timers[request.id] = self.hub.clock.call_later(rule.approve_within, self.expire_due)
        self._announce(request)
        self._audit(request, "ui.release_requested", "pending", request.door)
        return request

    async def async_approve(
        self, request: ReleaseRequest, approver: User, note: str, context: Context
    ) -> Any:
        self._settle(request, "approved", approver.username, note)
        request.approval = context.id
        reason = f"{request.reason}（{request.requester} 申请，{approver.username} 审批）"
        try:
            # On the guard's behalf (their release, their roles checked), the officer as the approver;
            # caused by this approval, so the desk lets it through.
            result = await self.hub.services.async_call(
                "policy", "release",
                {"passage_id": request.passage_id, "reason": reason[:500], "approver": approver.username},
                Context(user_id=request.requested_by, parent_id=context.id), door="ui",
            )  # fmt: skip
        except Exception as err:
            request.status, request.answer = "failed", f"{note} ({err})".strip()
            self._announce(request)
            raise
        self._announce(request)
        return result

    def refuse(self, request: ReleaseRequest, who: User, reason: str) -> None:
        self._settle(request, "refused", who.username, reason)
        self._announce(request)

    def find_pending(self, request_id: str) -> ReleaseRequest:
        self.expire_due()
        request = self.requests.get(request_id)
        if request is None:
            raise ServiceValidationError("ui", "approve_release", [("request_id", "no such request")])
        if request.status != "pending":
            raise HubError(f"the request is already {request.status} (申请{STATUS_ZH[request.status]})")
        return request

    # ----- time ----------------------------------------------------------------------------------
    def expire_due(self) -> None:
        now = self.hub.clock.monotonic()
        for request in list(self.requests.values()):
            if request.status == "pending" and now >= request.due:
                self._settle(request, "expired", None, None)
                self._announce(request)
                self._audit(request, "ui.release_expired", "expired", "internal")

    def _audit(self, request: ReleaseRequest, action: str, outcome: str, door: str) -> None:
        self.hub.async_create_task(self._async_audit(request, action, outcome, door), name=f"ui {action}")

    async def _async_audit(self, request: ReleaseRequest, action: str, outcome: str, door: str) -> None:
        if not self.hub.services.has_service("ledger", "record_audit"):
            return
        detail = {k: v for k, v in request.as_dict().items() if k in ("id", "gate", "lane", "plate",
                  "reason", "requester", "door", "requested_at", "due_at")}  # fmt: skip
        try:
            await self.hub.services.async_call(
                "ledger", "record_audit",
                {"action": action, "door": door, "target": request.passage_id, "outcome": outcome,
                 "detail": detail},
            )  # fmt: skip
        except Exception:
            _LOGGER.exception("Cannot audit %s of release request %s", action, request.id)

    def _settle(self, request: ReleaseRequest, status: str, who: str | None, answer: str | None) -> None:
        request.status, request.answered_by, request.answer = status, who, answer
        request.answered_at = self.hub.now().isoformat()
        if (cancel := self._timers.pop(request.id, None)) is not None:
            cancel()
        settled = [r for r in self.requests.values() if r.status != "pending"]
        for old in settled[: max(len(settled) - KEEP_SETTLED, 0)]:
            del self.requests[old.id]

    def _announce(self, request: ReleaseRequest) -> None:
        self.hub.bus.async_fire(EVENT_RELEASE_REQUEST, request.as_dict())


def async_register_services(hub: Hub, desk: ReleaseDesk) -> None:
    def user_of(call: ServiceCall) -> User:
        user = hub.auth.get(call.context.user_id) if call.context.user_id else None
        if user is None:
            raise HubError("a release request is answered by a person: sign in")
        return user

    async def screen_release(call: ServiceCall) -> dict[str, Any] | None:
        request = desk.screen(call.data)
        return request.as_dict() if request is not None else None

    async def approve_release(call: ServiceCall) -> Any:
        d: AnswerRelease = call.data
        request, approver = desk.find_pending(d.request_id), user_of(call)
        if approver.id == request.requested_by:
            raise HubError("a request is approved by someone else (不能审批自己的申请)")
        result = await desk.async_approve(request, approver, d.reason.strip(), call.context)
        return {"request": request.as_dict(), "release": result}

    async def refuse_release(call: ServiceCall) -> dict[str, Any]:
        d: AnswerRelease = call.data
        if len(d.reason.strip()) < 4:
            raise ServiceValidationError("ui", "refuse_release", [("reason", "say why (请填写拒绝原因)")])
        request = desk.find_pending(d.request_id)
        desk.refuse(request, user_of(call), d.reason.strip())
        return request.as_dict()

    reg = hub.services.async_register
    reg("ui", "screen_release", screen_release, ScreenRelease, internal=True,
        description="a person's release about to be made: at once, or a request")  # fmt: skip
    reg("ui", "approve_release", approve_release, AnswerRelease, roles=APPROVERS,
        description="批准放行 approve a guard's release request; the release names both")  # fmt: skip
    reg("ui", "refuse_release", refuse_release, AnswerRelease, roles=APPROVERS,
        description="拒绝放行 refuse a guard's release request, with a reason")  # fmt: skip
