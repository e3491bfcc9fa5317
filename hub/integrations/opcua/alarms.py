"""Which hub states and passages raise which OPC UA alarm (conditions.py), and the A&C methods.

Per lane (`<gate>.<lane>.<Name>`): DeniedTruck (a denied passage waits at the lane; cleared when it is
released, its lifecycle goes on or closes, or the next passage comes), CameraOffline, BarrierOffline,
WeighbridgeOffline (the device's `*_online` sensor off, or its entity unavailable), WeighbridgeStuck,
CameraFrozen. Plant (`Plant.<Name>`): DataDiskLow, DataDiskFull, LedgerFault, UploadBacklog (the
upload backlog above `backlog_alarm`), AlertLevel (any alert level but normal; severity by level), and
one per anomaly rule of the insight component (`Plant.FrequentVehicle` ... `Plant.RemoteSensingExceedance`:
its problem sensor `binary_sensor.insight_<rule>` on; the message is the rule's last summary).

Acknowledge and Confirm (the standard methods, on the ConditionId) call the services
`opcua.acknowledge_alarm` / `opcua.confirm_alarm` as the session's user, so roles apply and the audit
log has them; ConditionRefresh sends the retained conditions again between RefreshStart and RefreshEnd.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from asyncua import Server, ua
from asyncua.common.event_objects import RefreshEndEvent, RefreshStartEvent
from pydantic import BaseModel, ConfigDict, Field

from hub.core import Context, Hub, ServiceCall, ServiceValidationError, Unauthorized
from hub.core.auth import Role
from hub.core.const import STATE_UNAVAILABLE, STATE_UNKNOWN

from .conditions import Condition, ConditionError, Kind
from .const import DOMAIN, PLANT_ID
from .notifier import SERVER, async_deliver, chain, stamp, watched
from .security import HubUaUser, current_user

_LOGGER = logging.getLogger(__name__)
ACK_ROLES = {Role.GUARD, Role.OFFICER, Role.ENGINEER}
LANE_KINDS = (
    Kind("DeniedTruck", "禁止通行车辆在道口等待", "A denied truck waits at the lane", 600),
    Kind("CameraOffline", "车牌相机离线", "Plate camera offline", 700),
    Kind("BarrierOffline", "道闸控制器离线", "Barrier PLC offline", 800),
    Kind("WeighbridgeOffline", "地磅离线", "Weighbridge offline", 700),
    Kind("WeighbridgeStuck", "地磅读数卡滞", "Weighbridge reading stuck", 600),
    Kind("CameraFrozen", "相机画面冻结", "Camera image frozen", 700),
)
PLANT_KINDS = (
    Kind("DataDiskLow", "数据盘空间不足", "Data disk low", 600),
    Kind("DataDiskFull", "数据盘已满", "Data disk full", 900),
    Kind("LedgerFault", "台账无法记录", "Ledger cannot record", 1000),
    Kind("UploadBacklog", "上传积压", "Upload backlog above the limit", 500),
    Kind("AlertLevel", "重污染天气预警", "Heavy-pollution alert", 500),
)
# The insight component's anomaly rules, by their problem sensors (rooms meet by entity ids, not imports).
INSIGHT_RULES = {
    "frequent_vehicle": Kind(
        "FrequentVehicle", "车辆进厂频次异常", "Vehicle entering far more often than its fleet", 400
    ),
    "night_activity": Kind("NightActivity", "夜间异常通行", "Night-time activity out of pattern", 400),
    "denied_then_released": Kind(
        "DeniedThenReleased", "多次拒绝后放行", "Repeated denials followed by a release", 500
    ),
    "lane_without_reads": Kind(
        "LaneWithoutReads", "车道无车牌识别", "Lane weighing vehicles without plate reads", 600
    ),
    "station_flat": Kind("StationFlat", "微站数据恒定", "Microstation reading flat", 400),
    "station_out_of_range": Kind(
        "StationOutOfRange", "微站数据超量程", "Microstation reading out of range", 400
    ),
    "station_missing": Kind("StationMissing", "微站数据缺失", "Microstation silent", 500),
    "remote_sensing_exceedance": Kind(
        "RemoteSensingExceedance", "尾气遥感超标", "Remote-sensing exceedance", 500
    ),
}
INSIGHT_KINDS = tuple(INSIGHT_RULES.values())
ENGLISH = {kind.name: kind.en for kind in (*LANE_KINDS, *PLANT_KINDS, *INSIGHT_KINDS)}  # for the gatekeeper
# A lane entity's kind -> (condition, "on" means wrong?) ; an `*_online` sensor is wrong when off.
LANE_SOURCES: dict[str, tuple[str, bool]] = {
    "camera_online": ("CameraOffline", False), "barrier_online": ("BarrierOffline", False),
    "barrier": ("BarrierOffline", False), "weighbridge_online": ("WeighbridgeOffline", False),
    "weight": ("WeighbridgeOffline", False), "weighbridge_stuck": ("WeighbridgeStuck", True),
    "camera_frozen": ("CameraFrozen", True),
}  # fmt: skip
PLANT_SOURCES = {
    "binary_sensor.data_disk_low": "DataDiskLow",
    "binary_sensor.data_disk_full": "DataDiskFull",
    "binary_sensor.ledger_fault": "LedgerFault",
    **{f"binary_sensor.insight_{rule}": kind.name for rule, kind in INSIGHT_RULES.items()},
}
ALERT_SEVERITY = {"yellow": 400, "orange": 600, "red": 800}
# The lifecycle going on (or ending) means the denied truck no longer waits.
MOVED_ON = {"opening", "passed", "closed", "interrupted", "error"}
ALARM_METHODS = {
    ua.NodeId(ua.ObjectIds.AcknowledgeableConditionType_Acknowledge): "acknowledge_alarm",
    ua.NodeId(ua.ObjectIds.AcknowledgeableConditionType_Confirm): "confirm_alarm",
}
STATUS = {  # a ConditionError's field -> the status code a method call answers
    "condition": ua.StatusCodes.BadNodeIdUnknown, "event_id": ua.StatusCodes.BadEventIdUnknown,
    "acknowledged": ua.StatusCodes.BadConditionBranchAlreadyAcked,
    "confirmed": ua.StatusCodes.BadConditionBranchAlreadyConfirmed, "state": ua.StatusCodes.BadInvalidState,
}  # fmt: skip


class AlarmAction(BaseModel):
    """Acknowledge or confirm an OPC UA alarm (condition), e.g. `east_gate.in.DeniedTruck`."""

    model_config = ConfigDict(extra="forbid")

    condition: str = Field(min_length=3, max_length=200, pattern=r"^[A-Za-z0-9_.]+$")
    event_id: str | None = Field(None, pattern=r"^(?:[0-9a-f]{2}){1,64}$")  # the notification, in hex
    comment: str = Field("", max_length=500)


class Alarms:
    def __init__(self, hub: Hub, server: Server, idx: int, backlog_limit: int) -> None:
        self.hub, self.server, self.idx = hub, server, idx
        self.backlog_limit = backlog_limit
        self.conditions: dict[str, Condition] = {}
        self._sources: dict[str, dict[str, bool]] = {}  # condition -> entity -> wrong?
        self._denied: dict[str, str] = {}  # lane -> passage id of the waiting denied truck
        self._notifiers: list[ua.NodeId] = [SERVER]

    async def async_setup(self) -> None:
        for kind in (*PLANT_KINDS, *INSIGHT_KINDS):
            await self._async_add(kind, PLANT_ID, chain(self.idx, None))
        isession = self.server.iserver.isession
        isession.add_method_callback(ua.NodeId(ua.ObjectIds.ConditionType_ConditionRefresh), self._refresh)
        isession.add_method_callback(ua.NodeId(ua.ObjectIds.ConditionType_ConditionRefresh2), self._refresh)
        for method, service in ALARM_METHODS.items():
            isession.add_method_callback(method, self._method(service))
        reg = self.hub.services.async_register
        for service, verb in (
            ("acknowledge_alarm", "确认报警 acknowledge"),
            ("confirm_alarm", "复核报警 confirm"),
        ):
            reg(DOMAIN, service, self._service(service), AlarmAction, roles=ACK_ROLES,
                description=f"{verb} an OPC UA alarm")  # fmt: skip

    async def async_lane(self, lane_id: str) -> None:
        notifiers = chain(self.idx, lane_id)
        self._notifiers = list(dict.fromkeys([*notifiers, *self._notifiers]))
        for kind in LANE_KINDS:
            await self._async_add(kind, lane_id, notifiers)

    # ----- what raises and clears them -----------------------------------------------------------
    async def async_lane_state(self, lane_id: str, what: str, entity_id: str, state: Any) -> None:
        if what not in LANE_SOURCES:
            return
        name, on_is_wrong = LANE_SOURCES[what]
        if state is not None and state.state == STATE_UNKNOWN:
            return  # not reported yet since start: no news either way
        if state is None or state.state == STATE_UNAVAILABLE:
            wrong = True
        elif what in ("barrier", "weight"):
            wrong = False  # a value: the device answers
        else:
            wrong = (state.state == "on") == on_is_wrong
        await self._async_source(f"{lane_id}.{name}", entity_id, wrong)

    async def async_plant_state(self, entity_id: str, state: Any) -> None:
        if entity_id in PLANT_SOURCES:
            wrong = state is not None and state.state == "on"
            summary = state.attributes.get("summary") if wrong and state is not None else None
            await self._async_source(f"{PLANT_ID}.{PLANT_SOURCES[entity_id]}", entity_id, wrong, summary)
        elif entity_id == "select.plant_alert_level" and state is not None and state.state != STATE_UNKNOWN:
            level = state.state
            condition = self.conditions[f"{PLANT_ID}.AlertLevel"]
            text = f"{condition.kind.zh}: {level} {state.attributes.get('measure') or ''}".strip()
            await condition.async_set_active(level in ALERT_SEVERITY, text, ALERT_SEVERITY.get(level))

    async def async_backlog(self, total: int) -> None:
        condition = self.conditions[f"{PLANT_ID}.UploadBacklog"]
        text = f"{condition.kind.zh}: {total} > {self.backlog_limit}"
        await condition.async_set_active(total > self.backlog_limit, text)

    async def async_record(self, lane_id: str, record: Mapping[str, Any]) -> None:
        """A ledger record of the lane: a denied passage raises DeniedTruck, what follows clears it."""
        condition = self.conditions.get(f"{lane_id}.DeniedTruck")
        if condition is None:
            return
        kind, passage_id = record.get("kind"), record.get("passage_id")
        if kind == "passage":
            if record.get("decision") == "deny":
                self._denied[lane_id] = str(passage_id)
                plate, reason = record.get("plate") or "(无牌)", record.get("reason_text") or ""
                text = f"{condition.kind.zh}: {plate} {reason}"
                await condition.async_set_active(True, text.strip())
                return
            cleared = "下一辆车 the next vehicle came"
        elif passage_id != self._denied.get(lane_id):
            return
        elif kind == "release":
            cleared = "特批放行 released"
        elif kind == "lifecycle" and record.get("state") in MOVED_ON:
            cleared = f"通行记录 {record.get('state')}"
        else:
            return
        self._denied.pop(lane_id, None)
        await condition.async_set_active(False, f"{condition.kind.zh} 解除: {cleared}")

    async def _async_source(
        self, condition_id: str, entity_id: str, wrong: bool, summary: str | None = None
    ) -> None:
        condition = self.conditions.get(condition_id)
        if condition is None:
            return
        sources = self._sources.setdefault(condition_id, {})
        sources[entity_id] = wrong
        active = any(sources.values())
        culprits = ", ".join(e for e, bad in sources.items() if bad)
        text = f"{condition.kind.zh}: {summary or culprits}" if active else f"{condition.kind.zh} 恢复正常"
        await condition.async_set_active(active, text)

    async def _async_add(self, kind: Kind, source_id: str, notifiers: list[ua.NodeId]) -> None:
        condition = Condition(self.server, self.idx, kind, source_id, notifiers)
        await condition.async_create(ua.NodeId(source_id, self.idx))
        self.conditions[str(condition.node_id.Identifier)] = condition

    # ----- methods and services ------------------------------------------------------------------
    async def _refresh(self, parent: ua.NodeId, subscription_id: Any, item: Any = None, *more: Any) -> Any:
        """ConditionRefresh (a subscription) and ConditionRefresh2 (one monitored item of it)."""
        sub_id = subscription_id.Value if isinstance(subscription_id, ua.Variant) else subscription_id
        mid = item.Value if isinstance(item, ua.Variant) else item
        found = self.server.iserver.subscription_service.subscriptions.get(sub_id)
        if found is None:
            return ua.StatusCode(ua.StatusCodes.BadSubscriptionIdInvalid)
        if mid is not None and watched(found, mid) is None:
            return ua.StatusCode(ua.StatusCodes.BadMonitoredItemIdInvalid)
        for event_class, last in ((RefreshStartEvent, False), (RefreshEndEvent, True)):
            if last:
                for condition in self.conditions.values():
                    await condition.async_refresh(sub_id, mid)
            marker: Any = event_class(sourcenode=SERVER)
            marker.SourceName = "Server"
            stamp(marker, None)
            await async_deliver(self.server, marker, self._notifiers, sub_id, mid)
        return []

    def _method(self, service: str) -> Any:
        async def call(parent: ua.NodeId, event_id: Any = None, comment: Any = None, *more: Any) -> Any:
            user = current_user()
            if not isinstance(user, HubUaUser) or not user.user_id:
                return ua.StatusCode(ua.StatusCodes.BadUserAccessDenied)
            raw_id = event_id.Value if isinstance(event_id, ua.Variant) else event_id
            text = comment.Value if isinstance(comment, ua.Variant) else comment
            data = {
                "condition": str(parent.Identifier),
                "event_id": raw_id.hex() if isinstance(raw_id, bytes) and raw_id else None,
                "comment": (text.Text if isinstance(text, ua.LocalizedText) else str(text or "")) or "",
            }
            try:
                await self.hub.services.async_call(
                    DOMAIN, service, data, Context(user_id=user.user_id), door="opcua"
                )
            except Unauthorized:
                return ua.StatusCode(ua.StatusCodes.BadUserAccessDenied)
            except ServiceValidationError as err:
                field = err.errors[0][0] if err.errors else ""
                return ua.StatusCode(STATUS.get(field, ua.StatusCodes.BadInvalidArgument))
            except Exception:
                _LOGGER.exception("OPC UA %s of %s by %s failed", service, data["condition"], user.name)
                return ua.StatusCode(ua.StatusCodes.BadInternalError)
            return []

        return call

    def _service(self, service: str) -> Any:
        async def handle(call: ServiceCall) -> dict[str, Any]:
            data: AlarmAction = call.data
            condition = self.conditions.get(data.condition)
            if condition is None:
                raise ServiceValidationError(DOMAIN, service, [("condition", f"no alarm {data.condition}")])
            user = self.hub.auth.get(call.context.user_id) if call.context.user_id else None
            who = user.username if user is not None else "hub"
            event_id = bytes.fromhex(data.event_id) if data.event_id else None
            try:
                if service == "acknowledge_alarm":
                    await condition.async_acknowledge(event_id, data.comment, who)
                else:
                    await condition.async_confirm(event_id, data.comment, who)
            except ConditionError as err:
                raise ServiceValidationError(DOMAIN, service, [(err.field, str(err))]) from None
            return {"condition": data.condition, "active": condition.active, "retain": condition.retained}

        return handle
