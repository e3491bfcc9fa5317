"""The information model: object types, enumerations and engineering units of our namespace.

`GateType`, `LaneType`, `BarrierType`, `CameraType`, `WeighbridgeType`, `PlateReadType`,
`DecisionType`, `DisplayType` and `PlantType` are ObjectTypes whose members (HasComponent, modelling
rule Mandatory or Optional) are the variables of mapping.py. Instances are made from them with
asyncua's instantiate, which names a member of a string NodeId `<instance>.<member>`: exactly the
ids of before (`east_gate.in.barrier.position`), so bookmarks keep working.

Weights and confidences are AnalogItemType with EngineeringUnits (UNECE kg, percent) and EURange;
barrier position, decision and alert level have an Enumeration DataType each (`<field>.state` next to
the text variable of before). Display names are zh-CN (the plant's language), descriptions en, both
LocalizedText with their locale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from asyncua import Node, Server, ua
from asyncua.common.instantiate_util import instantiate

from .mapping import ENUMS, Point, lane_standard_points, plant_standard_points

UNITS_URI = "http://www.opcfoundation.org/UA/units/un/cefact"
LANE_TYPE, GATE_TYPE, PLANT_TYPE = "LaneType", "GateType", "PlantType"
# A lane's groups and their types; the lane's devices may be missing (Optional), its reads may not.
GROUP_TYPES: dict[str, tuple[str, bool]] = {
    "plate": ("PlateReadType", True),
    "decision": ("DecisionType", True),
    "camera": ("CameraType", False),
    "barrier": ("BarrierType", False),
    "weight": ("WeighbridgeType", False),
    "display": ("DisplayType", False),
}


@dataclass(frozen=True, slots=True)
class Unit:
    code: str  # UNECE Rec. 20 common code
    symbol: str
    name: str
    low: float
    high: float

    @property
    def unit_id(self) -> int:
        """Part 8, 5.6.3: the code's characters packed into an Int32."""
        value = 0
        for char in self.code:
            value = (value << 8) | ord(char)
        return value


UNITS: dict[tuple[str, str], Unit] = {
    ("weight", "kg"): Unit("KGM", "kg", "kilogram", 0.0, 200_000.0),
    ("plate", "confidence"): Unit("P1", "%", "percent", 0.0, 100.0),
}

# Variables whose recorded values the ledger holds (history.py reads them).
HISTORIZED = {("weight", "kg"), ("plate", "text")}

# (zh-CN, en) for every name a client shows: types, groups, fields, enumeration values.
TEXTS: dict[str, tuple[str, str]] = {
    "GateType": ("闸口", "Gate"), "LaneType": ("车道", "Lane"), "PlantType": ("厂区", "Plant"),
    "Plant": ("厂区", "Plant"),
    "PlateReadType": ("车牌识别", "Plate read"), "DecisionType": ("判定", "Decision"),
    "CameraType": ("车牌相机", "Plate camera"), "BarrierType": ("道闸", "Barrier"),
    "WeighbridgeType": ("地磅", "Weighbridge"), "DisplayType": ("LED 显示屏", "LED display"),
    "plate": ("车牌识别", "Plate read"), "decision": ("判定", "Decision"), "camera": ("车牌相机", "Camera"),
    "barrier": ("道闸", "Barrier"), "weight": ("地磅", "Weighbridge"), "display": ("LED 显示屏", "Display"),
    "text": ("文字", "Text"), "colour": ("车牌颜色", "Plate colour"), "confidence": ("置信度", "Confidence"),
    "direction": ("方向", "Direction"), "needs_review": ("需复核", "Needs review"),
    "read_id": ("识别编号", "Read id"), "online": ("在线", "Online"), "position": ("道闸位置", "Position"),
    "state": ("状态", "State"), "alarm": ("报警", "Alarm"), "kg": ("重量 (kg)", "Weight (kg)"),
    "steady": ("稳定", "Steady"), "value": ("判定结果", "Decision"),
    "reason_code": ("原因代码", "Reason code"),
    "reason_text": ("原因", "Reason"), "passage_id": ("通行记录编号", "Passage id"),
    "seq": ("台账序号", "Ledger sequence"), "recorded_time": ("记录时间", "Recorded time"),
    "alert_level": ("预警级别", "Alert level"),
    "alert_state": ("预警级别 (枚举)", "Alert level (enumeration)"),
    "alert_response_level": ("响应级别", "Response level"), "alert_measure": ("管控措施", "Control measure"),
    "alert_source": ("预警来源", "Alert source"), "upload_backlog": ("待上传", "Upload backlog"),
    "entries_today": ("今日入厂", "Entries today"), "exits_today": ("今日出厂", "Exits today"),
    "denied_today": ("今日拒绝", "Denied today"), "released_today": ("今日特批", "Released today"),
    "open": ("开", "open"), "closed": ("关", "closed"), "opening": ("正在开", "opening"),
    "closing": ("正在关", "closing"), "fault": ("故障", "fault"), "allow": ("放行", "allow"),
    "deny": ("禁止", "deny"), "review": ("待复核", "review"), "normal": ("无预警", "normal"),
    "yellow": ("黄色预警", "yellow"), "orange": ("橙色预警", "orange"), "red": ("红色预警", "red"),
    "BarrierPosition": ("道闸位置", "Barrier position"), "Decision": ("判定结果", "Decision"),
    "AlertLevel": ("预警级别", "Alert level"), "PlateColour": ("车牌颜色", "Plate colour"),
    "blue": ("蓝牌", "blue"), "green": ("绿牌", "green"), "white": ("白牌", "white"),
    "black": ("黑牌", "black"),
    "yellow_green": ("黄绿牌", "yellow-green"), "unknown": ("未知", "unknown"),
    "PlateColour.yellow": ("黄牌", "yellow"),
}  # fmt: skip


def zh(key: str) -> ua.LocalizedText:
    return ua.LocalizedText(TEXTS.get(key, (key, key))[0], "zh-CN")


def en(key: str) -> ua.LocalizedText:
    return ua.LocalizedText(TEXTS.get(key, (key, key))[1], "en")


async def async_name(node: Node, key: str) -> None:
    """DisplayName zh-CN, Description en."""
    await node.write_attribute(ua.AttributeIds.DisplayName, ua.DataValue(ua.Variant(zh(key))))
    await node.write_attribute(ua.AttributeIds.Description, ua.DataValue(ua.Variant(en(key))))


def english_name(node_id: str, extra: dict[str, str]) -> ua.LocalizedText | None:
    """The en display name of one of our nodes (a type, a member, an instance's member, an
    enumeration, or a name of `extra`), by its string NodeId; None when it has none."""
    key = node_id.rsplit(".", 1)[-1]
    if key in extra:
        return ua.LocalizedText(extra[key], "en")
    for candidate in (node_id, node_id.removesuffix("Enum"), key):
        if candidate in TEXTS:
            return en(candidate)
    return None


def eu_information(unit: Unit) -> ua.EUInformation:
    return ua.EUInformation(
        NamespaceUri=UNITS_URI, UnitId=unit.unit_id,
        DisplayName=ua.LocalizedText(unit.symbol, "en"), Description=ua.LocalizedText(unit.name, "en"),
    )  # fmt: skip


class Model:
    """Our types in a server's address space, made once at start (`async_build`)."""

    def __init__(self, server: Server, idx: int) -> None:
        self.server = server
        self.idx = idx
        self.enums: dict[str, ua.NodeId] = {}

    def nid(self, text: str) -> ua.NodeId:
        return ua.NodeId(text, self.idx)

    def qname(self, text: str) -> ua.QualifiedName:
        return ua.QualifiedName(text, self.idx)

    async def async_build(self) -> None:
        for name, values in ENUMS.items():
            self.enums[name] = await self._enum(name, values)
        base = self.server.get_node(ua.NodeId(ua.ObjectIds.BaseObjectType))
        groups: dict[str, list[Point]] = {}
        for point in lane_standard_points():
            groups.setdefault(point.group, []).append(point)
        lane = await self._type(base, LANE_TYPE)
        for group, points in groups.items():
            type_name, mandatory = GROUP_TYPES[group]
            group_type = await self._type(base, type_name)
            await self._members(group_type, type_name, points)
            member = await lane.add_object(
                self.nid(f"{LANE_TYPE}.{group}"), self.qname(group), self.nid(type_name)
            )
            await member.set_modelling_rule(mandatory)
            await _rule_below(member)
            await async_name(member, group)
        gate = await self._type(base, GATE_TYPE)
        # A gate's lanes: any number of LaneType components (Part 3, 6.4.4.4.4 OptionalPlaceholder).
        placeholder = await gate.add_object(
            self.nid(f"{GATE_TYPE}.<Lane>"), self.qname("<Lane>"), self.nid(LANE_TYPE)
        )
        await _rule(placeholder, ua.ObjectIds.ModellingRule_OptionalPlaceholder)
        plant = await self._type(base, PLANT_TYPE)
        await self._members(plant, PLANT_TYPE, plant_standard_points())

    async def async_instance(
        self, parent: Node, node_id: str, name: str, type_name: str, *, optional: bool = True
    ) -> Node:
        """An object of one of our types: its members get the ids `<node_id>.<member>...`. It is
        named by its slug (`east_gate`), or as TEXTS has our own (capitalised) names (`Plant`), never
        as its type (asyncua's default)."""
        type_node = self.server.get_node(self.nid(type_name))
        dname = zh(name) if name[:1].isupper() else ua.LocalizedText(name)
        nodes = await instantiate(
            parent, type_node, nodeid=self.nid(node_id), bname=self.qname(name), dname=dname,
            instantiate_optional=optional,
        )  # fmt: skip
        return nodes[0]

    async def _type(self, base: Node, name: str) -> Node:
        node = await base.add_object_type(self.nid(name), self.qname(name))
        await async_name(node, name)
        return node

    async def _members(self, holder: Node, prefix: str, points: Iterable[Point]) -> None:
        for point in points:
            var_id = f"{prefix}.{point.field}"
            unit = UNITS.get((point.group, point.field))
            if unit is not None:
                node = await self._analog(holder, var_id, point, unit)
            else:
                datatype = self.enums.get(point.enum) if point.enum else None
                node = await holder.add_variable(
                    self.nid(var_id), self.qname(point.field), ua.get_default_value(point.vtype),
                    varianttype=point.vtype, datatype=datatype,
                )  # fmt: skip
            await node.set_modelling_rule(True)
            await async_name(node, point.field)
            if (point.group, point.field) in HISTORIZED:
                level = ua.Variant(
                    ua.AccessLevel.CurrentRead.mask | ua.AccessLevel.HistoryRead.mask, ua.VariantType.Byte
                )
                for attribute in (ua.AttributeIds.AccessLevel, ua.AttributeIds.UserAccessLevel):
                    await node.write_attribute(attribute, ua.DataValue(level))
                await node.write_attribute(ua.AttributeIds.Historizing, ua.DataValue(ua.Variant(True)))

    async def _analog(self, holder: Node, var_id: str, point: Point, unit: Unit) -> Node:
        """An AnalogItemType variable (Part 8, 5.3.2.4) with its EURange and EngineeringUnits."""
        # Added by hand: asyncua's add_variable types it BaseDataVariableType, and the parent's reference
        # keeps that type for instantiation even when the HasTypeDefinition is changed afterwards.
        item = ua.AddNodesItem()
        item.RequestedNewNodeId = self.nid(var_id)
        item.BrowseName = self.qname(point.field)
        item.NodeClass = ua.NodeClass.Variable
        item.ParentNodeId = holder.nodeid
        item.ReferenceTypeId = ua.NodeId(ua.ObjectIds.HasComponent)
        item.TypeDefinition = ua.NodeId(ua.ObjectIds.AnalogItemType)
        attrs = ua.VariableAttributes()
        attrs.DisplayName = ua.LocalizedText(point.field)
        attrs.Value = ua.Variant(0.0, ua.VariantType.Double)
        attrs.DataType = ua.NodeId(ua.ObjectIds.Double)
        attrs.ValueRank = -1
        attrs.AccessLevel = attrs.UserAccessLevel = ua.AccessLevel.CurrentRead.mask
        item.NodeAttributes = attrs
        (result,) = await self.server.iserver.isession.add_nodes([item])
        result.StatusCode.check()
        node = self.server.get_node(result.AddedNodeId)
        for name, value, datatype in (
            ("EURange", ua.Range(unit.low, unit.high), ua.ObjectIds.Range),
            ("EngineeringUnits", eu_information(unit), ua.ObjectIds.EUInformation),
        ):
            prop = await node.add_property(
                self.nid(f"{var_id}.{name}"), ua.QualifiedName(name, 0),
                ua.Variant(value, ua.VariantType.ExtensionObject), datatype=ua.NodeId(datatype),
            )  # fmt: skip
            await prop.set_modelling_rule(True)
        return node

    async def _enum(self, name: str, values: tuple[str, ...]) -> ua.NodeId:
        """An Enumeration DataType `<name>Enum`: value i is values[i], named zh-CN with an en description."""
        enumeration = self.server.get_node(ua.NodeId(ua.ObjectIds.Enumeration))
        type_id = f"{name}Enum"
        node = await enumeration.add_data_type(self.nid(type_id), self.qname(type_id))
        await async_name(node, name)
        enum_values = [
            ua.EnumValueType(Value=i, DisplayName=zh(key), Description=en(key))
            for i, key in enumerate(f"{name}.{v}" if f"{name}.{v}" in TEXTS else v for v in values)
        ]
        prop = await node.add_property(
            self.nid(f"{type_id}.EnumValues"), ua.QualifiedName("EnumValues", 0),
            ua.Variant(enum_values, ua.VariantType.ExtensionObject),
        )  # fmt: skip
        await prop.write_attribute(
            ua.AttributeIds.DataType, ua.DataValue(ua.Variant(ua.NodeId(ua.ObjectIds.EnumValueType)))
        )
        one_dimension = ua.DataValue(ua.Variant(1, ua.VariantType.Int32))
        await prop.write_attribute(ua.AttributeIds.ValueRank, one_dimension)
        return node.nodeid


async def _rule(node: Node, rule: int) -> None:
    await node.add_reference(ua.NodeId(rule), ua.ObjectIds.HasModellingRule)


async def _rule_below(node: Node) -> None:
    """A member declaration made by instantiating a type has no modelling rules below it (asyncua
    copies no references): its children are Mandatory as in their type, else they would not be made."""
    for child in await node.get_children():
        if not await child.get_referenced_nodes(refs=ua.ObjectIds.HasModellingRule):
            await child.set_modelling_rule(True)
        await _rule_below(child)
