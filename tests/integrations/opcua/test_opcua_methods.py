"""The methods as a SCADA engineer's tool sees them (typed, described arguments) and as they act."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from asyncua import ua

from hub.core.const import EVENT_SERVICE_CALLED
from tests.common import wait_state
from tests.integrations.opcua.conftest import NAMESPACE, node

METHODS = ("OpenBarrier", "CloseBarrier", "SpecialRelease", "CorrectPlate", "ConfirmRead", "SetAlertLevel")


async def call(client: Any, method: str, *args: Any) -> Any:
    idx = await client.get_namespace_index(NAMESPACE)
    return await (await node(client, "EcoGate")).call_method(f"{idx}:{method}", *args)


async def test_method_arguments_are_typed_described_and_have_string_node_ids(opcua_hub, connect) -> None:
    hub = await opcua_hub()
    async with connect(hub, "inspector1") as client:
        idx = await client.get_namespace_index(NAMESPACE)
        for method in METHODS:
            method_node = await node(client, f"EcoGate.{method}")
            description = await method_node.read_description()
            assert description.Locale == "zh-CN" and description.Text
            inputs = await method_node.get_child("0:InputArguments")
            assert inputs.nodeid == ua.NodeId(f"EcoGate.{method}.InputArguments", idx)  # not a number
            arguments = await inputs.read_value()
            assert arguments, method
            for argument in arguments:
                assert argument.ValueRank == -1, (method, argument.Name)  # scalars
                assert argument.Description.Locale == "zh-CN"
                zh, en = argument.Description.Text.split(" ", 1)
                assert zh and en.isascii() and zh != en, argument.Description.Text  # both languages

        level = {
            a.Name: a for a in await (await node(client, "EcoGate.SetAlertLevel.InputArguments")).read_value()
        }
        assert list(level) == ["level", "response_level", "measure", "start", "end", "reason"]
        assert level["level"].DataType == ua.NodeId("AlertLevelEnum", idx)  # a choice is an enumeration
        assert level["start"].DataType == level["end"].DataType == ua.NodeId(ua.ObjectIds.DateTime)
        enum_values = await (await node(client, "AlertLevelEnum.EnumValues")).read_value()
        assert [(v.Value, v.Description.Text, v.DisplayName.Locale) for v in enum_values] == [
            (0, "normal", "zh-CN"), (1, "yellow", "zh-CN"), (2, "orange", "zh-CN"), (3, "red", "zh-CN"),
        ]  # fmt: skip
        assert enum_values[2].DisplayName.Text == "橙色预警"
        correct = {
            a.Name: a for a in await (await node(client, "EcoGate.CorrectPlate.InputArguments")).read_value()
        }
        assert correct["colour"].DataType == ua.NodeId("PlateColourEnum", idx)


async def test_close_barrier_and_set_alert_level_with_every_field(opcua_hub, connect) -> None:
    hub = await opcua_hub("policy: {}\n")
    calls: list[dict[str, Any]] = []
    hub.bus.async_listen(EVENT_SERVICE_CALLED, lambda e: calls.append(dict(e.data)))
    async with connect(hub, "guard1") as client:
        assert await call(client, "OpenBarrier", "east_gate", "in", "消防车进厂") == ["done", ""]
        await wait_state(hub, "cover.east_gate_in_barrier", "open")
        # With the policy, an opening from SCADA is a manual entry in the ledger, with its reason.
        found = await hub.services.async_call("ledger", "query", {"decision": "allow"})
        opened = [(p["reason_code"], p["reason_text"]) for p in found["items"]]
        assert opened == [("manual_entry", "消防车进厂")]
        assert await call(client, "CloseBarrier", "east_gate", "in") is None
        await wait_state(hub, "cover.east_gate_in_barrier", "closed")
        with pytest.raises(ua.uaerrors.BadInvalidArgument):  # no such passage: the service says so
            await call(client, "CorrectPlate", "0" * 36, "冀B66666", "", "末位误识别")
        with pytest.raises(ua.uaerrors.BadInvalidArgument):  # not a colour
            await call(client, "CorrectPlate", "0" * 36, "冀B66666", "purple", "末位误识别")
        with pytest.raises(ua.uaerrors.BadInvalidArgument):  # neither passage nor read
            await call(client, "ConfirmRead", "", "", "", "", "")
    guard = hub.auth.by_name("guard1")
    closed = [c for c in calls if (c["domain"], c["service"]) == ("barrier", "close")]
    assert (
        closed[-1]["user_id"] == guard.id and closed[-1]["door"] == "opcua" and closed[-1]["outcome"] == "ok"
    )
    corrected = [c for c in calls if c["service"] == "correct_plate"]
    assert corrected and corrected[0]["user_id"] == guard.id  # it reached the service as the guard

    now = hub.now()
    async with connect(hub, "officer1") as client:
        args = [
            ua.Variant(2, ua.VariantType.Int32),  # AlertLevelEnum: orange
            "II", "限产 50%", ua.Variant(None, ua.VariantType.Null), now + timedelta(hours=2),
            "市重污染天气应急指挥部通知",
        ]  # fmt: skip
        assert await call(client, "SetAlertLevel", *args) is None
        await wait_state(hub, "select.plant_alert_level", "orange")
        await hub.async_block_till_done()
        assert await (await node(client, "Plant.alert_measure")).read_value() == "限产 50%"
        assert await (await node(client, "Plant.alert_state")).read_value() == 2
        with pytest.raises(ua.uaerrors.BadInvalidArgument):
            await call(client, "SetAlertLevel", ua.Variant(9, ua.VariantType.Int32))
        with pytest.raises(ua.uaerrors.BadInvalidArgument):  # a date must be a DateTime
            await call(client, "SetAlertLevel", "red", "", "", "tomorrow")
    state = hub.states.get("select.plant_alert_level")
    assert state.attributes.get("response_level") == "II"
    switched = next(c for c in calls if c["service"] == "set_alert_level")
    assert switched["user_id"] == hub.auth.by_name("officer1").id


async def test_display_names_follow_the_sessions_locale(opcua_hub, connect) -> None:
    hub = await opcua_hub()
    for locales, barrier, alarm in (
        (["zh-CN", "en"], "道闸", "禁止通行车辆在道口等待"),
        (["en"], "Barrier", "A denied truck waits at the lane"),
        ([], "道闸", "禁止通行车辆在道口等待"),  # no wish: the plant's language
    ):
        async with connect(hub, "inspector1", locales=locales) as client:
            assert (await (await node(client, "east_gate.in.barrier")).read_display_name()).Text == barrier
            assert (await (await node(client, "east_gate.in.DeniedTruck")).read_display_name()).Text == alarm
            browsed = {
                (await child.read_browse_name()).Name: ref.DisplayName.Text
                for child, ref in zip(
                    await (await node(client, "east_gate.in")).get_children(),
                    await (await node(client, "east_gate.in")).get_children_descriptions(),
                    strict=True,
                )
            }
            assert browsed["barrier"] == barrier
            assert (
                await (await node(client, "east_gate")).read_display_name()
            ).Text == "east_gate"  # its slug
            plant = (await (await node(client, "Plant")).read_display_name()).Text
            assert plant == ("Plant" if locales == ["en"] else "厂区")
            gate_type = await node(client, "GateType")
            assert (await gate_type.read_display_name()).Text == ("Gate" if locales == ["en"] else "闸口")
