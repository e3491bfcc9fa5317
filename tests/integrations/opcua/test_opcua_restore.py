"""Every gate, lane and plant node is there from the start, holding the last values after a restart."""

from __future__ import annotations

from typing import Any

import pytest
from asyncua import ua

from tests.integrations.opcua.conftest import node, passage, restart_yaml


async def read(client: Any, node_id: str) -> ua.DataValue:
    return await (await node(client, node_id)).read_data_value(raise_on_bad_status=False)


async def test_configured_lanes_and_plant_have_their_variables_before_any_vehicle(opcua_hub, connect) -> None:
    hub = await opcua_hub()
    async with connect(hub, "inspector1") as client:
        lane = await node(client, "west_gate.main")  # configured, no device has reported
        groups = {(await child.read_browse_name()).Name for child in await lane.get_children()}
        assert {"plate", "decision", "weight", "barrier", "camera", "display"} <= groups
        for node_id, vtype in [
            ("west_gate.main.plate.text", ua.VariantType.String),
            ("west_gate.main.weight.kg", ua.VariantType.Double),
            ("west_gate.main.decision.value", ua.VariantType.String),
            ("west_gate.main.decision.seq", ua.VariantType.Int64),
            ("Plant.alert_level", ua.VariantType.String),
            ("Plant.upload_backlog", ua.VariantType.UInt32),  # a counter
            ("west_gate.main.barrier.state", ua.VariantType.Int32),  # BarrierPositionEnum
        ]:
            value = await read(client, node_id)  # was: BadNodeIdUnknown
            assert value.StatusCode.value == ua.StatusCodes.UncertainInitialValue, node_id
            assert value.Value.VariantType == vtype, node_id


async def test_after_a_restart_a_fresh_client_reads_the_last_plate_decision_and_weight(
    opcua_hub, connect, make_hub
) -> None:
    hub = await opcua_hub()
    first = passage(1, decision="allow", reason_code="OK", reason_text="国六放行")
    last = passage(2, plate="冀B99999", decision="deny", confidence=0.93)
    await hub.services.async_call("ledger", "record_passage", first)
    recorded = await hub.services.async_call("ledger", "record_passage", last)
    await hub.services.async_call(
        "ledger",
        "record_followup",
        {"passage_id": last["passage_id"], "kind": "weight", "data": {"weight_kg": 31250}},
    )
    text, config_dir = restart_yaml(hub), hub.config_dir
    await hub.async_stop()

    again = await make_hub(text, config_dir=config_dir)
    # The camera has not read anything since the restart: its entity is unknown, which is no news.
    again.states.async_set("sensor.east_gate_in_plate", "unknown", {"gate": "east_gate", "lane": "in"})
    await again.async_block_till_done()
    async with connect(again, "inspector1") as client:
        assert (await read(client, "east_gate.in.plate.text")).Value.Value == "冀B99999"
        confidence = (await read(client, "east_gate.in.plate.confidence")).Value.Value
        assert confidence == pytest.approx(93.0)  # percent
        assert (await read(client, "east_gate.in.decision.value")).Value.Value == "deny"
        assert (await read(client, "east_gate.in.decision.passage_id")).Value.Value == last["passage_id"]
        assert (await read(client, "east_gate.in.decision.seq")).Value.Value == recorded["seq"]
        weight = await read(client, "east_gate.in.weight.kg")
        assert weight.StatusCode.is_good() and weight.Value.Value == 31250.0
        # A lane without any passage yet still answers, with its initial value.
        assert (await read(client, "west_gate.main.decision.value")).StatusCode.value == (
            ua.StatusCodes.UncertainInitialValue
        )
