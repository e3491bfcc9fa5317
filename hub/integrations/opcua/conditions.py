"""OPC UA Alarms & Conditions (Part 9): one OffNormalAlarmType condition and its states.

A condition is active while what it watches is wrong; each change (active, cleared, acknowledged,
confirmed) is one event with a new EventId up its source's notifier chain (notifier.py). It is
retained (Retain true, sent again on ConditionRefresh) while active or not yet acknowledged and
confirmed. Its node `<source>.<Name>` (e.g. `east_gate.in.DeniedTruck`) is the ConditionId that
Acknowledge and Confirm are called on; it is typed OffNormalAlarmType and holds no member nodes (Part 9
lets a server keep a condition's state in its events only), so a start stays fast.
"""

from __future__ import annotations

import copy
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asyncua import Server, ua
from asyncua.common.event_objects import OffNormalAlarm

from .notifier import async_deliver, stamp

STATE_TEXT = {  # (true, false) of each two-state variable, zh-CN
    "EnabledState": ("启用", "停用"),
    "ActiveState": ("报警", "正常"),
    "AckedState": ("已确认", "未确认"),
    "ConfirmedState": ("已复核", "未复核"),
}


@dataclass(frozen=True, slots=True)
class Kind:
    """What a condition is about: its name (the last part of its NodeId), texts and severity."""

    name: str
    zh: str
    en: str
    severity: int  # 1..1000


class ConditionError(Exception):
    """An Acknowledge or Confirm that does not fit; `field` says what (alarms.STATUS maps it)."""

    def __init__(self, field: str, text: str) -> None:
        super().__init__(text)
        self.field = field


class Condition:
    def __init__(self, server: Server, idx: int, kind: Kind, source_id: str | None, chain: list[ua.NodeId]):
        self.server = server
        self.kind = kind
        self.node_id = ua.NodeId(f"{source_id or 'EcoGate'}.{kind.name}", idx)
        self.chain = chain
        self.active = False
        self.acked = self.confirmed = True  # nothing has happened that wants an operator
        event: Any = OffNormalAlarm()  # its fields are made at run time
        self.event = event
        self._event_ids: deque[bytes] = deque(maxlen=16)  # an acknowledgement may name a recent one
        event.add_property("NodeId", self.node_id, ua.VariantType.NodeId)  # the ConditionId
        event.add_property("ConfirmedState/Id", False, ua.VariantType.Boolean)
        event.add_variable("ConfirmedState", None, ua.VariantType.LocalizedText)
        for state in STATE_TEXT:  # asyncua types these UtcTime by NodeId, which a Variant cannot take
            event.add_property(f"{state}/TransitionTime", None, ua.VariantType.DateTime)
        event.SourceNode = ua.NodeId(source_id or "EcoGate", idx)
        event.SourceName = source_id or "EcoGate"
        event.ConditionName = kind.name
        event.ConditionClassId = ua.NodeId(ua.ObjectIds.BaseConditionClassType)
        event.ConditionClassName = ua.LocalizedText("BaseConditionClass")
        event.BranchId = ua.NodeId()
        event.Quality = ua.StatusCode(ua.StatusCodes.Good)
        event.Severity = event.LastSeverity = kind.severity
        event.InputNode = ua.NodeId()
        event.SuppressedOrShelved = False
        event.NormalState = ua.NodeId()
        self._set("EnabledState", True)

    @property
    def retained(self) -> bool:
        return self.active or not self.acked or not self.confirmed

    async def async_create(self, parent: ua.NodeId) -> None:
        item = ua.AddNodesItem()
        item.RequestedNewNodeId = self.node_id
        item.BrowseName = ua.QualifiedName(self.kind.name, self.node_id.NamespaceIndex)
        item.NodeClass = ua.NodeClass.Object
        item.ParentNodeId = parent
        item.ReferenceTypeId = ua.NodeId(ua.ObjectIds.HasComponent)
        item.TypeDefinition = ua.NodeId(ua.ObjectIds.OffNormalAlarmType)
        attrs = ua.ObjectAttributes()
        attrs.DisplayName = ua.LocalizedText(self.kind.zh, "zh-CN")
        attrs.Description = ua.LocalizedText(self.kind.en, "en")
        item.NodeAttributes = attrs
        (result,) = await self.server.iserver.isession.add_nodes([item])
        result.StatusCode.check()
        await self.server.get_node(parent).add_reference(self.node_id, ua.ObjectIds.HasCondition)

    async def async_set_active(self, active: bool, message: str, severity: int | None = None) -> bool:
        """Raise or clear; False when nothing changed (no event)."""
        severity = severity or self.kind.severity
        if active == self.active and (not active or severity == self.event.Severity):
            return False
        if active and not self.active:  # a new occurrence waits for acknowledgement again
            self.acked = self.confirmed = False
            self._event_ids.clear()
        self.active = active
        self.event.LastSeverity, self.event.Severity = self.event.Severity, severity
        await self._async_fire(message)
        return True

    async def async_acknowledge(self, event_id: bytes | None, comment: str, user: str) -> None:
        self._check(event_id)
        if self.acked:
            raise ConditionError("acknowledged", "already acknowledged")
        self.acked = True
        if not self.active:
            self.confirmed = False  # a cleared alarm still wants the operator's confirmation
        await self._async_comment(comment, user, "已确认 acknowledged")

    async def async_confirm(self, event_id: bytes | None, comment: str, user: str) -> None:
        self._check(event_id)
        if not self.acked:
            raise ConditionError("state", "acknowledge it first")
        if self.confirmed:
            raise ConditionError("confirmed", "already confirmed")
        self.confirmed = True
        await self._async_comment(comment, user, "已复核 confirmed")

    async def async_refresh(self, subscription_id: int, monitored_item: int | None = None) -> None:
        """ConditionRefresh: the retained state again, to one subscription (or one monitored item of
        it), with its last EventId."""
        if self.retained:
            event = copy.copy(self.event)
            await async_deliver(self.server, event, self.chain, subscription_id, monitored_item)

    def _check(self, event_id: bytes | None) -> None:
        if event_id is not None and event_id not in self._event_ids:
            raise ConditionError("event_id", "not an event of this condition")

    async def _async_comment(self, comment: str, user: str, what: str) -> None:
        self.event.Comment = ua.LocalizedText(comment)
        self.event.ClientUserId = user
        await self._async_fire(f"{self.kind.zh} {what}")

    async def _async_fire(self, message: str) -> None:
        now = datetime.now(UTC)
        self._set("ActiveState", self.active, now)
        self._set("AckedState", self.acked, now)
        self._set("ConfirmedState", self.confirmed, now)
        self.event.Retain = self.retained
        stamp(self.event, now, message)
        self._event_ids.append(self.event.EventId.Value)
        await async_deliver(self.server, self.event, self.chain)

    def _set(self, state: str, value: bool, when: datetime | None = None) -> None:
        event = self.event
        if getattr(event, f"{state}/Id", None) != value and when is not None:
            setattr(event, f"{state}/TransitionTime", when)
        setattr(event, f"{state}/Id", value)
        setattr(event, state, ua.LocalizedText(STATE_TEXT[state][0 if value else 1], "zh-CN"))
