"""Two-step release (两级审批放行): on a lane so configured, a guard's release is a request an officer
approves or refuses within a time limit.

    ui:
      release:
        - {gate: east_gate, release: two_step, approve_within: 300}   # every lane of the gate
        - {gate: west_gate, lane: in, release: direct}                 # a lane's entry wins over its gate's

The guard's `policy.release`, or `policy.open_barrier` while the lane's truck is still waiting, is
turned by the HMI's service door into a request (`ui.request_release`); an officer sees it on /approvals
(made for a phone) and the lanes page, and approves (`ui.approve_release`: the existing
`policy.release` runs on the guard's behalf with the officer as its approver, so the ledger's release
row names both) or refuses with a reason (`ui.refuse_release`). A request nobody answers within
`approve_within` seconds (the hub's monotonic clock) expires, and the expiry is written to the audit
log. Requests live in the hub's memory: a page reload shows them again; a hub restart drops the pending
ones (the truck's waiting passage is the policy's, which a restart forgets too), and the guard asks again.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import secrets
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from hub.core import Context, Hub, HubError, ServiceCall, ServiceValidationError
from hub.core.auth import Role, User
from hub.core.gate import Slug

from .const import EVENT_RELEASE_REQUEST
from .lanes import device_name

if TYPE_CHECKING:
    from .websocket import LiveFeed

_LOGGER = logging.getLogger(__name__)
KEEP_SETTLED = 50  # answered requests shown under the pending ones
APPROVERS = frozenset({Role.OFFICER})
REQUESTERS = frozenset({Role.GUARD, Role.OFFICER})
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


def _reason(value: str) -> str:
    if len(value.strip()) < 4:
        raise ValueError("say why (请填写原因，至少 4 个字)")
    return value.strip()


class RequestRelease(BaseModel):
    model_config = ConfigDict(extra="forbid")

    passage_id: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=4, max_length=500)
    _reason = field_validator("reason")(classmethod(lambda cls, v: _reason(v)))


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
    requested_at: str
    due_at: str
    due: float  # on the monotonic clock
    status: str = "pending"  # approved, refused, expired, failed
    answered_by: str | None = None
    answered_at: str | None = None
    answer: str | None = None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        del out["due"], out["requested_by"]
        return out


class ReleaseDesk:
    """The pending requests and the last answered ones; expiry on the hub's clock."""

    def __init__(self, hub: Hub, rules: list[ReleaseRule]) -> None:
        self.hub = hub
        self.rules = rules
        self.requests: dict[str, ReleaseRequest] = {}
        self._ids = itertools.count(1)
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._unlisten: Callable[[], None] | None = None

    def async_start(self) -> None:
        self._unlisten = self.hub.clock.add_listener(self.expire_due)  # a ManualClock moved by hand

    def async_stop(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()

    def two_step(self, gate: str, lane: str) -> ReleaseRule | None:
        return rule_for(self.rules, gate, lane)

    def snapshot(self) -> dict[str, Any]:
        self.expire_due()
        items = sorted(self.requests.values(), key=lambda r: (r.status != "pending", r.requested_at))
        return {"items": [r.as_dict() for r in items if r.status == "pending"]
                + [r.as_dict() for r in reversed(items) if r.status != "pending"]}  # fmt: skip

    def pending_for(self, passage_id: str) -> ReleaseRequest | None:
        return next(
            (r for r in self.requests.values() if r.passage_id == passage_id and r.status == "pending"), None
        )

    # ----- the three steps -----------------------------------------------------------------------
    def request(self, where: dict[str, Any], reason: str, user: User) -> ReleaseRequest:
        gate, lane = str(where["gate"]), str(where["lane"])
        rule = self.two_step(gate, lane)
        if rule is None:
            raise HubError(f"lane {gate}/{lane} releases without approval: use policy.release")
        existing = self.pending_for(str(where["passage_id"]))
        if existing is not None:
            return existing
        now, monotonic = self.hub.now(), self.hub.clock.monotonic()
        name = device_name(self.hub, f"sensor.{gate}_{lane}_plate") or f"{gate} / {lane}"
        request = ReleaseRequest(
            id=f"{next(self._ids)}-{secrets.token_hex(3)}", passage_id=str(where["passage_id"]),
            gate=gate, lane=lane, where=name,
            plate=where.get("plate"), reason=reason, requested_by=user.id,
            requester=user.username, requested_at=now.isoformat(),
            due_at=(now + timedelta(seconds=rule.approve_within)).isoformat(),
            due=monotonic + rule.approve_within,
        )  # fmt: skip
        self.requests[request.id] = request
        loop = asyncio.get_running_loop()
        self._timers[request.id] = loop.call_later(rule.approve_within, self.expire_due)
        self._announce(request)
        return request

    async def async_approve(
        self, request: ReleaseRequest, approver: User, note: str, context: Context
    ) -> Any:
        self._settle(request, "approved", approver.username, note)
        reason = f"{request.reason}（{request.requester} 申请，{approver.username} 审批）"
        try:
            # On the guard's behalf (their release, their roles checked), the officer as the approver.
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
                self.hub.async_create_task(self._async_audit_expiry(request), name="ui release expired")

    async def _async_audit_expiry(self, request: ReleaseRequest) -> None:
        if not self.hub.services.has_service("ledger", "record_audit"):
            return
        detail = {k: v for k, v in request.as_dict().items() if k in ("id", "gate", "lane", "plate",
                  "reason", "requester", "requested_at", "due_at")}  # fmt: skip
        try:
            await self.hub.services.async_call(
                "ledger", "record_audit",
                {"action": "ui.release_expired", "target": request.passage_id, "outcome": "expired",
                 "detail": detail},
            )  # fmt: skip
        except Exception:
            _LOGGER.exception("Cannot audit the expiry of release request %s", request.id)

    def _settle(self, request: ReleaseRequest, status: str, who: str | None, answer: str | None) -> None:
        request.status, request.answered_by, request.answer = status, who, answer
        request.answered_at = self.hub.now().isoformat()
        if (timer := self._timers.pop(request.id, None)) is not None:
            timer.cancel()
        settled = [r for r in self.requests.values() if r.status != "pending"]
        for old in settled[: max(len(settled) - KEEP_SETTLED, 0)]:
            del self.requests[old.id]

    def _announce(self, request: ReleaseRequest) -> None:
        self.hub.bus.async_fire(EVENT_RELEASE_REQUEST, request.as_dict())


def async_register_services(hub: Hub, desk: ReleaseDesk, feed: LiveFeed) -> None:
    waiting, _ = waiting_in(feed)

    def user_of(call: ServiceCall) -> User:
        user = hub.auth.get(call.context.user_id) if call.context.user_id else None
        if user is None:
            raise HubError("a release request is a person's: sign in")
        return user

    async def request_release(call: ServiceCall) -> dict[str, Any]:
        d: RequestRelease = call.data
        where = waiting(d.passage_id)
        if where is None:
            raise ServiceValidationError(
                "ui", "request_release", [("passage_id", "no truck of that passage waits at a lane")]
            )
        return desk.request(where, d.reason, user_of(call)).as_dict()

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
    reg("ui", "request_release", request_release, RequestRelease, roles=REQUESTERS,
        description="申请放行 ask an officer to approve the release of a waiting truck")  # fmt: skip
    reg("ui", "approve_release", approve_release, AnswerRelease, roles=APPROVERS,
        description="批准放行 approve a guard's release request; the release names both")  # fmt: skip
    reg("ui", "refuse_release", refuse_release, AnswerRelease, roles=APPROVERS,
        description="拒绝放行 refuse a guard's release request, with a reason")  # fmt: skip


def as_request(
    desk: ReleaseDesk, feed: LiveFeed, user: User, service: str, data: dict[str, Any]
) -> dict[str, Any] | None:
    """The `ui.request_release` a guard's direct release becomes on a two-step lane, or None.

    `policy.release` of a waiting truck, and `policy.open_barrier` while the lane's truck waits (which
    would release it), need an officer's approval there; an officer's own release goes through."""
    if user.has_any(APPROVERS | {Role.ADMIN}) or service not in ("policy.release", "policy.open_barrier"):
        return None
    waiting, lane_waiting = waiting_in(feed)
    if service == "policy.release":
        passage_id = data.get("passage_id")
        where = waiting(passage_id) if isinstance(passage_id, str) else None
    else:
        gate, lane = data.get("gate"), data.get("lane")
        found = lane_waiting(gate, lane) if isinstance(gate, str) and isinstance(lane, str) else None
        where = waiting(found) if found else None
    if where is None or desk.two_step(str(where["gate"]), str(where["lane"])) is None:
        return None
    return {"passage_id": where["passage_id"], "reason": data.get("reason", "")}


def waiting_in(
    feed: LiveFeed,
) -> tuple[Callable[[str], dict[str, Any] | None], Callable[[str, str], str | None]]:
    """Trucks still at a barrier, from the live feed: (by passage id, the passage waiting at a lane)."""

    def by_passage(passage_id: str) -> dict[str, Any] | None:
        item = feed.review.items.get(passage_id)
        if item is not None:
            return item
        for entry in feed.last_by_lane.values():
            decision = entry.get("gate_decision") or {}
            if decision.get("passage_id") == passage_id and decision.get("decision") != "allow":
                return dict(decision)
        return None

    def at_lane(gate: str, lane: str) -> str | None:
        decision = feed.last_by_lane.get(f"{gate}_{lane}", {}).get("gate_decision") or {}
        passage_id = decision.get("passage_id")
        return passage_id if decision.get("decision") not in (None, "allow") else None

    return by_passage, at_lane
