"""`GatePassageEventType` (a BaseEventType) and its emission for every recorded passage.

Each passage is one event (one EventId), sent up the notifier chain of its lane (notifier.py): a
client on the lane, its gate, EcoGate or Server gets it. Its Time is the read's (the camera's
`captured_at`, to the millisecond), else the recorded time; RecordedTime is the ledger's.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from asyncua import Node, Server, ua
from asyncua.common.events import get_event_obj_from_type_node

from .const import EVENT_TYPE_ID
from .mapping import DT, I64, S, convert
from .notifier import async_deliver, chain, stamp

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
        prop = await etype.add_property(
            ua.NodeId(f"{EVENT_TYPE_ID}.{name}", idx),
            ua.QualifiedName(name, idx),
            ua.get_default_value(vtype),
            varianttype=vtype,
        )
        await prop.set_modelling_rule(True)
    return etype


class PassageEvents:
    def __init__(self) -> None:
        self.server: Server | None = None
        self.idx = 0
        self._template: Any = None

    async def async_setup(self, server: Server, etype: Node, idx: int) -> None:
        self.server, self.idx = server, idx
        self._template = await get_event_obj_from_type_node(etype)
        root = server.get_node(ua.NodeId("EcoGate", idx))
        await root.add_reference(etype.nodeid, ua.ObjectIds.GeneratesEvent)

    def build(self, record: Mapping[str, Any], source_id: str | None) -> Any:
        """The event of a ledger passage record (new EventId), from `source_id` (a lane) or EcoGate."""
        event = copy.copy(self._template)
        for name, vtype, key in EVENT_FIELDS:
            setattr(event, name, _value(record.get(key), vtype))
        decision = str(record.get("decision") or "")
        source_name = source_id or "EcoGate"
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
        event.Severity = SEVERITY.get(decision, 300)
        event.SourceNode = ua.NodeId(source_id or "EcoGate", self.idx)
        event.SourceName = source_name
        stamp(event, read_time(record), message)
        return event

    async def async_emit(self, record: Mapping[str, Any], source_id: str | None) -> None:
        assert self.server is not None
        event = self.build(record, source_id)
        await async_deliver(self.server, event, chain(self.idx, source_id))


def _value(raw: Any, vtype: ua.VariantType) -> Any:
    if raw is None:
        return "" if vtype is S else None
    try:
        return convert(raw, vtype)
    except (TypeError, ValueError, OverflowError):
        _LOGGER.warning("OPC UA event: %r is not a %s", raw, vtype.name)
        return None


def read_time(record: Mapping[str, Any]) -> datetime:
    """The read's time (the camera's, to the millisecond), else when the ledger recorded it."""
    for key in ("captured_at", "recorded_at"):
        try:
            return convert(record.get(key), DT)
        except (TypeError, ValueError):
            continue
    ts = record.get("recorded_ts")
    return datetime.fromtimestamp(ts, UTC) if isinstance(ts, int | float) else datetime.now(UTC)
