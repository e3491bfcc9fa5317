"""`GatePassageEventType` (a BaseEventType) and its emission for every recorded passage.

Each event is emitted twice: by the `EcoGate` object and by the standard `Server` object, because
OPC UA clients subscribe to one or the other (many SCADA packages only ever watch `Server`).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from asyncua import Node, Server, ua
from asyncua.server.event_generator import EventGenerator

from .const import EVENT_TYPE_ID
from .mapping import DT, I64, S, convert

_LOGGER = logging.getLogger(__name__)

# (browse name, type, key of the ledger record)
EVENT_FIELDS: tuple[tuple[str, ua.VariantType, str], ...] = (
    ("PassageId", S, "passage_id"),
    ("Seq", I64, "seq"),
    ("Gate", S, "gate"),
    ("Lane", S, "lane"),
    ("Direction", S, "direction"),
    ("Plate", S, "plate"),
    ("Colour", S, "colour"),
    ("VehicleClass", S, "vehicle_class"),
    ("EmissionStage", S, "emission_stage"),
    ("Decision", S, "decision"),
    ("ReasonCode", S, "reason_code"),
    ("ReasonText", S, "reason_text"),
    ("RecordedTime", DT, "recorded_at"),
)
SEVERITY = {"allow": 100, "review": 400, "deny": 600}  # OPC UA severity 1..1000
DECISION_TEXT = {"allow": "放行", "deny": "禁止", "review": "待复核"}


async def async_create_event_type(server: Server, idx: int) -> Node:
    base = server.get_node(ua.NodeId(ua.ObjectIds.BaseEventType))
    etype = await base.add_object_type(ua.NodeId(EVENT_TYPE_ID, idx), ua.QualifiedName(EVENT_TYPE_ID, idx))
    for name, vtype, _ in EVENT_FIELDS:
        await etype.add_property(
            ua.NodeId(f"{EVENT_TYPE_ID}.{name}", idx),
            ua.QualifiedName(name, idx),
            ua.get_default_value(vtype),
            varianttype=vtype,
        )
    return etype


class PassageEvents:
    def __init__(self) -> None:
        self._generators: list[EventGenerator] = []
        self.emitted = 0

    async def async_setup(self, server: Server, etype: Node, root: Node) -> None:
        for emitter in (root.nodeid, ua.NodeId(ua.ObjectIds.Server)):
            self._generators.append(await server.get_event_generator(etype, emitter))

    async def async_emit(self, record: Mapping[str, Any], source: ua.NodeId | None, source_name: str) -> None:
        fields = {name: _value(record.get(key), vtype) for name, vtype, key in EVENT_FIELDS}
        decision = str(record.get("decision") or "")
        when = _when(record)
        message = " ".join(
            part
            for part in (
                source_name,
                "入场" if record.get("direction") == "in" else "出场",
                str(record.get("plate") or "(无牌)"),
                DECISION_TEXT.get(decision, decision),
                str(record.get("reason_text") or ""),
            )
            if part
        )
        for generator in self._generators:
            event = generator.event
            for name, value in fields.items():
                setattr(event, name, value)
            event.Severity = SEVERITY.get(decision, 300)
            if source is not None:
                event.SourceNode = source
                event.SourceName = source_name
            await generator.trigger(time_attr=when, message=message)
        self.emitted += 1


def _value(raw: Any, vtype: ua.VariantType) -> Any:
    if raw is None:
        return "" if vtype is S else None
    try:
        return convert(raw, vtype)
    except (TypeError, ValueError, OverflowError):
        _LOGGER.warning("OPC UA event: %r is not a %s", raw, vtype.name)
        return None


def _when(record: Mapping[str, Any]) -> datetime:
    ts = record.get("recorded_ts")
    if isinstance(ts, int | float):
        return datetime.fromtimestamp(ts, UTC)
    try:
        return convert(record.get("recorded_at"), DT)
    except (TypeError, ValueError):
        return datetime.now(UTC)
