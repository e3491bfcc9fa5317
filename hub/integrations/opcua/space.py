"""Our part of the address space: the `EcoGate` object, a folder per gate and lane, the `Plant` folder.

Every node has an explicit string NodeId in our namespace, so SCADA bookmarks survive restarts:
`<gate>` and `<gate>.<lane>` folders, `<gate>.<lane>.<group>` objects, `<gate>.<lane>.<group>.<field>`
variables (e.g. `east_gate.in.barrier.position`), and `Plant.<name>` variables. A lane gets all its
standard variables as soon as it is known (configured lanes at start), the Plant folder its own, each
with status UncertainInitialValue until a value comes, so a SCADA bookmark never meets
BadNodeIdUnknown; other variables are made the first time something feeds them. A variable keeps the
type it was made with, and its last value when its entity's state becomes `unknown` (a restarted
device that has not reported yet): that is no news, so a client never reads BadWaitingForInitialData.

Gates, lanes and the Plant are objects of our types (types.py): `GateType`, `LaneType` (its members
`plate`, `decision`, `camera`, `barrier`, `weight`, `display` of their own types), `PlantType`. The
notifier chain is Server -> EcoGate -> gate -> lane (HasNotifier), so events of a lane reach who
subscribes on any of them (events.py); EcoGate and the lanes also give their history (history.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

from asyncua import Node, Server, ua

from .const import PLANT_ID, ROOT_ID
from .mapping import SLUG, LaneIndex, Point, Reading, lane_standard_points, plant_standard_points
from .types import GATE_TYPE, LANE_TYPE, PLANT_TYPE, Model

NOTIFIER = [ua.EventNotifier.SubscribeToEvents, ua.EventNotifier.HistoryRead]

_LOGGER = logging.getLogger(__name__)


class GateSpace:
    def __init__(self, server: Server, idx: int) -> None:
        self.server = server
        self.idx = idx
        self.lanes = LaneIndex()
        self.model = Model(server, idx)
        self.root: Node | None = None
        self.plant: Node | None = None
        self._containers: set[str] = set()
        self._variables: dict[str, ua.VariantType] = {}
        self._lock = asyncio.Lock()  # two listeners may want the same new node at once
        self.lane_added: Callable[[str], Awaitable[None]] | None = None  # alarms.py adds its conditions

    def nid(self, text: str) -> ua.NodeId:
        return ua.NodeId(text, self.idx)

    def qname(self, name: str) -> ua.QualifiedName:
        return ua.QualifiedName(name, self.idx)

    async def async_build(self) -> Node:
        """The types, the `EcoGate` object under Objects (notifier of the Server), its `Plant` object."""
        await self.model.async_build()
        self.root = root = await self.server.nodes.objects.add_object(self.nid(ROOT_ID), self.qname(ROOT_ID))
        await self._notifier(self.server.nodes.server, root)
        self.plant = await self.model.async_instance(root, PLANT_ID, PLANT_ID, PLANT_TYPE)
        self._containers.update((ROOT_ID, PLANT_ID))
        async with self._lock:
            await self._initial(PLANT_ID, plant_standard_points())
        return root

    def has_lane(self, gate: str, lane: str) -> bool:
        return f"{gate}.{lane}" in self._containers

    async def async_lane(self, gate: str, lane: str) -> str:
        """The lane's folder id (`east_gate.in`), made with its gate folder if new."""
        lane_id = f"{gate}.{lane}"
        if lane_id in self._containers:
            return lane_id
        if not (SLUG.match(gate) and SLUG.match(lane)):
            raise ValueError(f"not a lane: {gate!r} {lane!r}")
        self.lanes.add(gate, lane)
        created = False
        async with self._lock:
            if gate not in self._containers:
                root = self._node(ROOT_ID)
                node = await self.model.async_instance(root, gate, gate, GATE_TYPE, optional=False)
                await self._notifier(root, node)
                self._containers.add(gate)
            if lane_id not in self._containers:
                node = await self.model.async_instance(self._node(gate), lane_id, lane, LANE_TYPE)
                await self._notifier(self._node(gate), node)
                self._containers.add(lane_id)
                created = True
            await self._initial(lane_id, lane_standard_points())
            if created and self.lane_added is not None:
                await self.lane_added(lane_id)
        _LOGGER.debug("OPC UA: lane %s added", lane_id)
        return lane_id

    async def async_write(self, parent_id: str, readings: Iterable[Reading]) -> None:
        """Write readings under a lane folder (or the Plant folder), making missing nodes first."""
        now = datetime.now(UTC)
        for reading in readings:
            point = reading.point
            holder = f"{parent_id}.{point.group}" if point.group else parent_id
            var_id = f"{holder}.{point.field}"
            vtype = self._variables.get(var_id)
            if reading.status == "BadWaitingForInitialData" and vtype is not None:
                continue  # `unknown` is no news: the last value stays
            if vtype is None:
                async with self._lock:
                    if point.group:
                        await self._container(parent_id, holder, point.group, folder=False)
                    vtype = await self._variable(holder, var_id, point.field, point.vtype)
            if vtype is not point.vtype:
                _LOGGER.warning("OPC UA: %s is %s, not %s; not written", var_id, vtype.name, point.vtype.name)
                continue
            if reading.status == "BadWaitingForInitialData":
                continue  # the new variable holds its initial value
            ok = reading.status == "Good"
            value = ua.DataValue(
                ua.Variant(reading.value if ok else None, vtype if ok else ua.VariantType.Null),
                StatusCode=ua.StatusCode(getattr(ua.StatusCodes, reading.status)),
                SourceTimestamp=(reading.at or now).astimezone(UTC),
                ServerTimestamp=now,
            )
            await self.server.write_attribute_value(self.nid(var_id), value)

    def _node(self, node_id: str) -> Node:
        return self.server.get_node(self.nid(node_id))

    async def _notifier(self, parent: Node, child: Node) -> None:
        await child.set_event_notifier(NOTIFIER)
        await parent.add_reference(child.nodeid, ua.ObjectIds.HasNotifier)

    async def _initial(self, parent_id: str, points: Iterable[Point]) -> None:
        """The members of a new instance: known, and UncertainInitialValue until fed."""
        for point in points:
            holder = f"{parent_id}.{point.group}" if point.group else parent_id
            var_id = f"{holder}.{point.field}"
            self._containers.add(holder)
            if var_id in self._variables:
                continue
            initial = ua.DataValue(
                ua.Variant(ua.get_default_value(point.vtype), point.vtype),
                StatusCode=ua.StatusCode(ua.StatusCodes.UncertainInitialValue),
            )
            await self.server.write_attribute_value(self.nid(var_id), initial)
            self._variables[var_id] = point.vtype

    async def _container(self, parent_id: str, node_id: str, name: str, *, folder: bool) -> None:
        if node_id in self._containers:
            return
        parent = self.server.get_node(self.nid(parent_id))
        if folder:
            await parent.add_folder(self.nid(node_id), self.qname(name))
        else:
            await parent.add_object(self.nid(node_id), self.qname(name))
        self._containers.add(node_id)

    async def _variable(self, holder: str, var_id: str, name: str, vtype: ua.VariantType) -> ua.VariantType:
        if (known := self._variables.get(var_id)) is not None:
            return known
        parent = self.server.get_node(self.nid(holder))
        default = ua.get_default_value(vtype)
        await parent.add_variable(self.nid(var_id), self.qname(name), default, varianttype=vtype)
        initial = ua.DataValue(
            ua.Variant(default, vtype), StatusCode=ua.StatusCode(ua.StatusCodes.UncertainInitialValue)
        )
        await self.server.write_attribute_value(self.nid(var_id), initial)
        self._variables[var_id] = vtype
        return vtype
