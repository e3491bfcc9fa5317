"""OPC UA methods against the real policy component: SetAlertLevel and SpecialRelease."""

from __future__ import annotations

from typing import Any

import pytest
from asyncua import ua

from hub.core.const import EVENT_PASSAGE_RECORDED, EVENT_SERVICE_CALLED
from tests.common import wait_state
from tests.integrations.opcua.conftest import NAMESPACE, node, passage


async def call(client: Any, method: str, *args: Any) -> Any:
    idx = await client.get_namespace_index(NAMESPACE)
    return await (await node(client, "EcoGate")).call_method(f"{idx}:{method}", *args)


async def test_set_alert_level_needs_an_officer_and_shows_in_the_plant_folder(opcua_hub, connect) -> None:
    hub = await opcua_hub("policy: {}\n")
    assert "policy" in hub.loaded, hub.setup_errors
    calls: list[dict[str, Any]] = []
    hub.bus.async_listen(EVENT_SERVICE_CALLED, lambda e: calls.append(dict(e.data)))
    async with connect(hub, "officer1") as client:
        assert await call(client, "SetAlertLevel", "orange") is None
        await wait_state(hub, "select.plant_alert_level", "orange")
        await hub.async_block_till_done()
        assert await (await node(client, "Plant.alert_level")).read_value() == "orange"
        with pytest.raises(ua.uaerrors.BadInvalidArgument):
            await call(client, "SetAlertLevel", "purple")
    set_calls = [c for c in calls if c["service"] == "set_alert_level"]
    assert set_calls[0]["user_id"] == hub.auth.by_name("officer1").id and set_calls[0]["door"] == "opcua"

    async with connect(hub, "guard1") as client:  # a guard may not switch the alert level
        with pytest.raises(ua.uaerrors.BadUserAccessDenied):
            await call(client, "SetAlertLevel", "red")
    assert hub.states.get("select.plant_alert_level").state == "orange"


async def test_special_release_records_the_release_as_the_guard(opcua_hub, connect) -> None:
    hub = await opcua_hub("policy: {}\n")
    denied = passage(7, decision="deny")
    await hub.services.async_call("ledger", "record_passage", denied)
    releases: list[dict[str, Any]] = []
    hub.bus.async_listen(
        EVENT_PASSAGE_RECORDED,
        lambda e: releases.append(dict(e.data)) if e.data["kind"] == "release" else None,
    )
    guard = hub.auth.by_name("guard1")
    async with connect(hub, "guard1") as client:
        with pytest.raises(ua.uaerrors.BadInvalidArgument):  # a release needs a reason
            await call(client, "SpecialRelease", denied["passage_id"], "  ", "")
        with pytest.raises(ua.uaerrors.BadInvalidArgument):
            await call(client, "SpecialRelease", "00000000-0000-0000-0000-000000000000", "持特批单", "")
        done = await call(client, "SpecialRelease", denied["passage_id"], "持环保特批单", "张主任")
        assert done == ["done", ""]
    await hub.async_block_till_done()
    assert len(releases) == 1
    assert releases[0]["passage_id"] == denied["passage_id"]
    assert releases[0]["actor"] == guard.id
    assert releases[0]["approver"] == "张主任"
