"""`ecogate opcua nodeset`: the exported NodeSet2 loads into another server, types and all."""

from __future__ import annotations

import asyncio
from pathlib import Path

from asyncua import Server, ua

from hub.cli import main
from tests.integrations.opcua.conftest import NAMESPACE

CONFIG = """\
hub: {}
barrier:
  lanes: [{gate: east_gate, lane: in, port: 0}]
opcua:
  lanes: [{gate: west_gate, lane: main}]
"""


async def test_nodeset_export_loads_back_into_a_fresh_server(tmp_path: Path) -> None:
    (tmp_path / "configuration.yaml").write_text(CONFIG, encoding="utf-8")
    out = tmp_path / "ecogate.NodeSet2.xml"
    argv = ["opcua", "nodeset", "-c", str(tmp_path), "--out", str(out)]
    assert await asyncio.wait_for(asyncio.to_thread(main, argv), 120) == 0

    assert '<RequiredModel ModelUri="http://opcfoundation.org/UA/"' in out.read_text(encoding="utf-8")
    server = Server()  # never started: the address space is all this test needs
    await server.init()
    await server.import_xml(str(out))
    idx = await server.get_namespace_index(NAMESPACE)

    def get(text: str) -> object:
        return server.get_node(ua.NodeId(text, idx))

    for name in ("GateType", "LaneType", "BarrierType", "CameraType", "WeighbridgeType", "PlantType"):
        assert await get(name).read_node_class() == ua.NodeClass.ObjectType, name
    lane_type = get("LaneType")
    members = {(await c.read_browse_name()).Name: c for c in await lane_type.get_children()}
    assert {"plate", "decision", "camera", "barrier", "weight", "display"} <= set(members)
    rules = {
        name: (await members[name].get_referenced_nodes(ua.ObjectIds.HasModellingRule))[0].nodeid
        for name in ("plate", "barrier")
    }
    assert rules == {
        "plate": ua.NodeId(ua.ObjectIds.ModellingRule_Mandatory),
        "barrier": ua.NodeId(ua.ObjectIds.ModellingRule_Optional),
    }

    # The configured lanes, under the same string ids as in the running hub.
    kg = get("east_gate.in.weight.kg")
    assert (await kg.read_type_definition()) == ua.NodeId(ua.ObjectIds.AnalogItemType)
    eu_range = await get("east_gate.in.weight.kg.EURange").read_value()
    assert (eu_range.Low, eu_range.High) == (0.0, 200_000.0)
    units = await get("east_gate.in.weight.kg.EngineeringUnits").read_value()
    assert units.UnitId == 4933453 and units.DisplayName.Text == "kg"  # UNECE KGM
    confidence_units = await get("west_gate.main.plate.confidence.EngineeringUnits").read_value()
    assert confidence_units.UnitId == 20529  # UNECE P1, percent
    assert await get("east_gate.in").read_type_definition() == ua.NodeId("LaneType", idx)
    assert await get("east_gate.in.barrier.state").read_data_type() == ua.NodeId("BarrierPositionEnum", idx)
    positions = await get("BarrierPositionEnum.EnumValues").read_value()
    assert [v.Description.Text for v in positions][:2] == ["closed", "open"]
    arguments = await get("EcoGate.SetAlertLevel.InputArguments").read_value()
    assert [a.Name for a in arguments][:2] == ["level", "response_level"]

    # The types carry their modelling rules: an engineer's tool can make a lane of its own.
    parent = server.nodes.objects
    await parent.add_object(
        ua.NodeId("north_gate.out", idx), ua.QualifiedName("out", idx), ua.NodeId("LaneType", idx)
    )
    assert await get("north_gate.out.barrier.position").read_browse_name() == ua.QualifiedName(
        "position", idx
    )
    assert await get("north_gate.out.weight.kg.EURange").read_value() == eu_range
