"""Alarms & Conditions against a real asyncua client: raise, acknowledge, confirm, clear, refresh."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from asyncua import Client, ua

from tests.integrations.opcua.conftest import NAMESPACE, node, passage

ALARM = ua.NodeId(ua.ObjectIds.OffNormalAlarmType)
REFRESH = (ua.NodeId(ua.ObjectIds.RefreshStartEventType), ua.NodeId(ua.ObjectIds.RefreshEndEventType))
ACKNOWLEDGE = ua.NodeId(ua.ObjectIds.AcknowledgeableConditionType_Acknowledge)
CONFIRM = ua.NodeId(ua.ObjectIds.AcknowledgeableConditionType_Confirm)


class Alarms:
    """Condition events of one subscription, by condition name."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Any] = asyncio.Queue()

    def event_notification(self, event: Any) -> None:
        self.queue.put_nowait(event)

    async def next(self, name: str | None = None, timeout: float = 5.0) -> Any:
        """The next event (of the condition `name`); others in between are passed over."""
        async with asyncio.timeout(timeout):
            while True:
                event = await self.queue.get()
                if name is None or getattr(event, "ConditionName", None) == name:
                    return event


def states(event: Any) -> tuple[bool, bool, bool, bool]:
    """(active, acknowledged, confirmed, retained)"""
    return (
        getattr(event, "ActiveState/Id"), getattr(event, "AckedState/Id"),
        getattr(event, "ConfirmedState/Id"), event.Retain,
    )  # fmt: skip


async def refresh(client: Client, sub: Any, alarms: Alarms) -> list[Any]:
    """ConditionRefresh: the condition events between RefreshStart and RefreshEnd."""
    await client.get_node(ua.NodeId(ua.ObjectIds.ConditionType)).call_method(
        ua.NodeId(ua.ObjectIds.ConditionType_ConditionRefresh),
        ua.Variant(sub.subscription_id, ua.VariantType.UInt32),
    )
    while (await alarms.next()).EventType != REFRESH[0]:
        pass  # live events sent before the refresh
    found = []
    while (event := await alarms.next()).EventType != REFRESH[1]:
        found.append(event)
    return found


async def watch(client: Client, where: Any, *types: ua.NodeId) -> tuple[Alarms, Any]:
    alarms = Alarms()
    sub = await client.create_subscription(20, alarms)
    await sub.subscribe_events(where, list(types) or [ALARM])
    return alarms, sub


async def test_denied_truck_alarm_raised_acknowledged_confirmed_cleared_and_refreshed(
    opcua_hub, connect
) -> None:
    hub = await opcua_hub()
    async with connect(hub, "guard1") as guard, connect(hub, "inspector1") as inspector:
        idx = await guard.get_namespace_index(NAMESPACE)
        on_server, _ = await watch(guard, guard.nodes.server)
        on_lane, _ = await watch(inspector, await node(inspector, "east_gate.in"))
        denied = passage(1, decision="deny", plate="冀B40004")
        await hub.services.async_call("ledger", "record_passage", denied)

        raised = await on_server.next("DeniedTruck")
        condition_id = ua.NodeId("east_gate.in.DeniedTruck", idx)
        assert raised.NodeId == condition_id  # the ConditionId
        assert raised.SourceNode == ua.NodeId("east_gate.in", idx) and raised.Severity == 600
        assert states(raised) == (True, False, False, True)
        assert "冀B40004" in raised.Message.Text
        assert (await on_lane.next("DeniedTruck")).EventId == raised.EventId  # the lane's client too

        condition = guard.get_node(condition_id)
        for client, may in ((guard, True), (inspector, False)):  # a client greys out what it may not do
            executable = await client.get_node(ACKNOWLEDGE).read_attribute(ua.AttributeIds.UserExecutable)
            assert executable.Value.Value is may
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):  # read only
            await inspector.get_node(condition_id).call_method(
                ACKNOWLEDGE, raised.EventId, ua.LocalizedText("x")
            )
        with pytest.raises(ua.uaerrors.BadEventIdUnknown):
            await condition.call_method(ACKNOWLEDGE, b"not-an-event", ua.LocalizedText("x"))
        with pytest.raises(ua.uaerrors.BadInvalidState):  # confirm comes after acknowledge
            await condition.call_method(CONFIRM, raised.EventId, ua.LocalizedText("x"))
        await condition.call_method(ACKNOWLEDGE, raised.EventId, ua.LocalizedText("已通知司机掉头"))
        acked = await on_server.next("DeniedTruck")
        assert states(acked) == (True, True, False, True)  # still active: still retained
        assert acked.Comment.Text == "已通知司机掉头" and acked.ClientUserId == "guard1"
        with pytest.raises(ua.uaerrors.BadConditionBranchAlreadyAcked):
            await condition.call_method(ACKNOWLEDGE, acked.EventId, ua.LocalizedText("again"))

        # A client that comes later asks for what is going on: the retained alarm, between the markers.
        late, sub = await watch(inspector, inspector.nodes.server, ALARM, *REFRESH)
        refreshed = await refresh(inspector, sub, late)
        assert [(e.EventType, e.NodeId) for e in refreshed] == [(ALARM, condition_id)]
        assert states(refreshed[0]) == (True, True, False, True)

        # ConditionRefresh2: to one monitored item of a subscription that has two.
        two = Alarms()
        sub2 = await inspector.create_subscription(20, two)
        await sub2.subscribe_events(inspector.nodes.server, [ALARM, *REFRESH])
        on_lane_item = await sub2.subscribe_events(await node(inspector, "east_gate.in"), [ALARM, *REFRESH])
        await inspector.get_node(ua.NodeId(ua.ObjectIds.ConditionType)).call_method(
            ua.NodeId(ua.ObjectIds.ConditionType_ConditionRefresh2),
            ua.Variant(sub2.subscription_id, ua.VariantType.UInt32),
            ua.Variant(on_lane_item, ua.VariantType.UInt32),
        )
        assert [(await two.next()).EventType for _ in range(3)] == [REFRESH[0], ALARM, REFRESH[1]]
        hub.states.async_set("binary_sensor.ledger_fault", "on", {})  # on the Server item only
        assert (await two.next()).ConditionName == "LedgerFault"  # nothing of the refresh twice
        with pytest.raises(ua.uaerrors.BadMonitoredItemIdInvalid):
            await inspector.get_node(ua.NodeId(ua.ObjectIds.ConditionType)).call_method(
                ua.NodeId(ua.ObjectIds.ConditionType_ConditionRefresh2),
                ua.Variant(sub2.subscription_id, ua.VariantType.UInt32),
                ua.Variant(999_999, ua.VariantType.UInt32),
            )

        # The passage closes: the alarm clears, and stays until confirmed.
        await hub.services.async_call(
            "ledger", "record_followup",
            {"passage_id": denied["passage_id"], "kind": "lifecycle", "data": {"state": "closed"}},
        )  # fmt: skip
        cleared = await on_server.next("DeniedTruck")
        assert states(cleared) == (False, True, False, True)
        await condition.call_method(CONFIRM, cleared.EventId, ua.LocalizedText("已处理"))
        assert states(await on_server.next("DeniedTruck")) == (False, True, True, False)  # gone

        retained = [e.ConditionName for e in await refresh(inspector, sub, late)]
        assert retained == ["LedgerFault"]  # the denied truck's alarm is no longer retained

    await hub.async_block_till_done()
    audit = await hub.services.async_call("ledger", "audit_query", {"door": "opcua", "action": "opcua."})
    done = {(row["action"], row["outcome"], row["username"]) for row in audit["items"]}
    assert ("opcua.acknowledge_alarm", "ok", "guard1") in done
    assert ("opcua.confirm_alarm", "ok", "guard1") in done
    assert ("opcua.acknowledge_alarm", "refused", "inspector1") in done


async def test_a_release_clears_the_denied_truck_alarm(opcua_hub, connect) -> None:
    hub = await opcua_hub()
    async with connect(hub, "inspector1") as client:
        alarms, _ = await watch(client, await node(client, "EcoGate"))
        denied = passage(2, decision="deny")
        await hub.services.async_call("ledger", "record_passage", denied)
        assert states(await alarms.next("DeniedTruck"))[0] is True
        await hub.services.async_call(
            "ledger", "record_followup",
            {"passage_id": denied["passage_id"], "kind": "release", "reason": "持特批单",
             "data": {"approver": "张主任"}},
        )  # fmt: skip
        cleared = await alarms.next("DeniedTruck")
        assert states(cleared)[0] is False and "released" in cleared.Message.Text


async def test_devices_offline_backlog_and_alert_level_are_alarms(opcua_hub, connect) -> None:
    hub = await opcua_hub("  backlog_alarm: 100\n")
    async with connect(hub, "inspector1") as client:
        idx = await client.get_namespace_index(NAMESPACE)
        alarms, _ = await watch(client, client.nodes.server)

        # A camera not heard from since the start (unknown) raises nothing: the next event is another one.
        lane = {"gate": "east_gate", "lane": "in"}
        hub.states.async_set("binary_sensor.east_gate_in_camera_online", "unknown", lane)
        hub.states.async_set("binary_sensor.ledger_fault", "on", {})
        first = await alarms.next()
        assert (first.ConditionName, first.Severity) == ("LedgerFault", 1000)

        hub.states.async_set(
            "binary_sensor.east_gate_in_camera_online", "off", {"gate": "east_gate", "lane": "in"}
        )
        offline = await alarms.next("CameraOffline")
        assert states(offline)[0] is True and offline.Severity == 700
        assert offline.NodeId == ua.NodeId("east_gate.in.CameraOffline", idx)
        hub.states.async_set(
            "binary_sensor.east_gate_in_camera_online", "on", {"gate": "east_gate", "lane": "in"}
        )
        assert states(await alarms.next("CameraOffline"))[0] is False

        hub.states.async_set("cover.east_gate_in_barrier", "unavailable", {})  # the PLC stopped answering
        assert states(await alarms.next("BarrierOffline"))[0] is True
        hub.states.async_set("binary_sensor.east_gate_in_weighbridge_stuck", "on", {})
        assert states(await alarms.next("WeighbridgeStuck"))[0] is True
        hub.states.async_set("binary_sensor.data_disk_low", "on", {})
        disk = await alarms.next("DataDiskLow")
        assert states(disk)[0] is True and disk.NodeId == ua.NodeId("Plant.DataDiskLow", idx)

        hub.states.async_set("sensor.uplink_province_pending", "60")
        hub.states.async_set("sensor.uplink_city_pending", "50")  # 110 together: above 100
        backlog = await alarms.next("UploadBacklog")
        assert states(backlog)[0] is True and "110" in backlog.Message.Text

        hub.states.async_set("select.plant_alert_level", "orange", {"measure": "限产"})
        alert = await alarms.next("AlertLevel")
        assert states(alert)[0] is True and alert.Severity == 600
        hub.states.async_set("select.plant_alert_level", "red", {"measure": "停产"})
        assert (await alarms.next("AlertLevel")).Severity == 800  # a higher level: a new severity
        hub.states.async_set("select.plant_alert_level", "normal", {})
        assert states(await alarms.next("AlertLevel"))[0] is False
