"""`ecogate opcua nodeset`: our namespace as a NodeSet2 XML file, for engineers' tools to import.

The model is built in a server that never listens (the same code as the running server: types.py,
space.py, events.py, methods.py), with the lanes the configuration names, and exported with asyncua's
XmlExporter with values (EURange, EngineeringUnits, EnumValues, InputArguments). It reads only the
configuration, so it works while the hub runs. Alarm conditions are left out: they are the running
hub's state, not the model.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asyncua import Server
from asyncua.common.xmlexporter import XmlExporter

from .const import NAMESPACE_URI
from .events import async_create_event_type
from .mapping import lanes_in_config
from .methods import Methods
from .space import GateSpace


async def async_nodeset(config: dict[str, Any], version: str = "0") -> str:
    """The NodeSet2 XML of our namespace, with the lanes named in `config` (the parsed YAML)."""
    logging.getLogger("asyncua").setLevel(logging.ERROR)  # it warns of each optional it leaves out
    server = Server()
    await server.init()
    idx = await server.register_namespace(NAMESPACE_URI)
    space = GateSpace(server, idx)
    root = await space.async_build()
    await async_create_event_type(server, idx)
    await Methods(None).async_add(root, idx, space.model.enums)
    opcua = config.get("opcua") or {}
    lanes = [(str(lane["gate"]), str(lane["lane"])) for lane in opcua.get("lanes") or []]
    for gate, lane in dict.fromkeys([*lanes, *lanes_in_config(config)]):
        await space.async_lane(gate, lane)
    ours = [node_id for node_id in server.iserver.aspace.keys() if node_id.NamespaceIndex == idx]
    nodes = [server.get_node(node_id) for node_id in ours]
    exporter = XmlExporter(server, export_values=True)
    await exporter.build_etree(nodes)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "nodeset.xml"
        await exporter.write_xml(str(path))
        xml = path.read_text(encoding="utf-8")
    # The <Models> element tools check dependencies by (asyncua's exporter writes none): ours, needing
    # the base model of 1.04 (AnalogItemType, OffNormalAlarmType and EnumValues are all in it).
    models = (
        f'  <Models>\n    <Model ModelUri="{NAMESPACE_URI}" Version="{version}" '
        f'PublicationDate="{datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}">\n'
        '      <RequiredModel ModelUri="http://opcfoundation.org/UA/" Version="1.04.0" '
        'PublicationDate="2019-05-01T00:00:00Z"/>\n    </Model>\n  </Models>\n'
    )
    return xml.replace("</NamespaceUris>\n", "</NamespaceUris>\n" + models, 1)
