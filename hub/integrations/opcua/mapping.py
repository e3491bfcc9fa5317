"""How the hub's states look in the address space: which variable each entity feeds, typed. No I/O.

A lane entity `<platform>.<gate>_<lane>_<what>` feeds variables `<gate>.<lane>.<group>.<field>`;
known kinds get typed fields (LANE_FIELDS), any other entity of the lane a String `<what>.state`.
Plant-wide entities feed `Plant.<name>`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from asyncua import ua

from hub.core.const import STATE_UNAVAILABLE, STATE_UNKNOWN

SLUG = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
S, D, B, I64, DT = (
    ua.VariantType.String,
    ua.VariantType.Double,
    ua.VariantType.Boolean,
    ua.VariantType.Int64,
    ua.VariantType.DateTime,
)
U32, E = ua.VariantType.UInt32, ua.VariantType.Int32  # counters; an enumeration's value
# Enumeration DataTypes (types.py): the value is the index of the hub's word.
ENUMS: dict[str, tuple[str, ...]] = {
    "BarrierPosition": ("closed", "open", "opening", "closing", "fault"),
    "Decision": ("allow", "deny", "review"),
    "AlertLevel": ("normal", "yellow", "orange", "red"),
    "PlateColour": ("blue", "yellow", "green", "white", "black", "yellow_green", "unknown"),
}
TRUE_WORDS = {"on", "true", "1", "yes", "open"}
FALSE_WORDS = {"off", "false", "0", "no", "closed"}


@dataclass(frozen=True, slots=True)
class Point:
    """One variable: where it sits (group, field), its type, and what feeds it (None: the state).

    `enum` names an Enumeration (ENUMS) whose index the value is; `scale` multiplies a number (a
    confidence of 0..1 is shown in percent)."""

    group: str
    field: str
    vtype: ua.VariantType
    source: str | None = None
    enum: str | None = None
    scale: float = 1.0


@dataclass(frozen=True, slots=True)
class Reading:
    point: Point
    value: Any  # already of the point's type; None when status is bad
    status: str = "Good"  # a ua.StatusCodes name
    at: datetime | None = None


LANE_FIELDS: dict[str, tuple[Point, ...]] = {
    "plate": (
        Point("plate", "text", S),
        Point("plate", "colour", S, "colour"),
        Point("plate", "confidence", D, "confidence", scale=100.0),
        Point("plate", "direction", S, "direction"),
        Point("plate", "needs_review", B, "needs_review"),
        Point("plate", "read_id", S, "read_id"),
    ),
    "camera_online": (Point("camera", "online", B),),
    "barrier": (Point("barrier", "position", S), Point("barrier", "state", E, enum="BarrierPosition")),
    "barrier_online": (Point("barrier", "online", B),),
    "alarm": (Point("barrier", "alarm", B),),
    "display": (Point("display", "text", S),),
    "weight": (Point("weight", "kg", D), Point("weight", "steady", B, "steady")),
    "weighbridge_online": (Point("weight", "online", B),),
    "decision": (
        Point("decision", "value", S),
        Point("decision", "state", E, enum="Decision"),
        Point("decision", "reason_code", S, "reason_code"),
        Point("decision", "reason_text", S, "reason_text"),
        Point("decision", "plate", S, "plate"),
        Point("decision", "passage_id", S, "passage_id"),
    ),
}
# Longest first, so `barrier_online` is not taken for `barrier`.
KNOWN_KINDS = sorted(LANE_FIELDS, key=len, reverse=True)

# The ledger's passage record also feeds the lane's last decision (with its sequence number and time).
PASSAGE_POINTS: tuple[tuple[Point, str], ...] = (
    (Point("decision", "value", S), "decision"),
    (Point("decision", "state", E, enum="Decision"), "decision"),
    (Point("decision", "reason_code", S), "reason_code"),
    (Point("decision", "reason_text", S), "reason_text"),
    (Point("decision", "plate", S), "plate"),
    (Point("decision", "passage_id", S), "passage_id"),
    (Point("decision", "seq", I64), "seq"),
    (Point("decision", "recorded_time", DT), "recorded_at"),
)

# A lane's last passage as the ledger has it now (corrected plate, joined weight), for the lane's
# plate, decision and weight variables after a restart.
LAST_PASSAGE_POINTS: tuple[tuple[Point, str], ...] = (
    (Point("plate", "text", S), "plate"),
    (Point("plate", "colour", S), "colour"),
    (Point("plate", "confidence", D, scale=100.0), "confidence"),
    (Point("plate", "direction", S), "direction"),
    (Point("plate", "needs_review", B), "needs_review"),
    (Point("plate", "read_id", S), "read_id"),
    (Point("weight", "kg", D), "weight_kg"),
    *PASSAGE_POINTS,
)

ALERT_POINTS = (
    Point("", "alert_level", S),
    Point("", "alert_state", E, enum="AlertLevel"),
    Point("", "alert_response_level", S, "response_level"),
    Point("", "alert_measure", S, "measure"),
    Point("", "alert_source", S, "source"),
)
BACKLOG_TOTAL = Point("", "upload_backlog", U32)
TODAY_COUNTERS = tuple(Point("", f"{what}_today", U32) for what in ("entries", "exits", "denied", "released"))
PLANT_TODAY = re.compile(r"^sensor\.plant_([a-z0-9_]+_today)$")
UPLINK_PENDING = re.compile(r"^sensor\.uplink_([a-z0-9_]+)_pending$")
UPLINK_CONNECTED = re.compile(r"^binary_sensor\.uplink_([a-z0-9_]+)_connected$")


# ----- values ------------------------------------------------------------------------------------
def convert(raw: Any, vtype: ua.VariantType) -> Any:
    """`raw` as a value of `vtype`; ValueError when it does not fit."""
    if vtype is S:
        return "" if raw is None else str(raw)
    if raw is None:
        raise ValueError("no value")
    if vtype is B:
        if isinstance(raw, bool):
            return raw
        word = str(raw).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(f"not a boolean: {raw!r}")
    if vtype is D:
        return float(raw)
    if vtype in (I64, E):
        return int(float(raw))
    if vtype is U32:
        count = int(float(raw))
        if not 0 <= count < 2**32:
            raise ValueError(f"not a UInt32: {raw!r}")
        return count
    if vtype is DT:
        if isinstance(raw, datetime):
            moment = raw
        elif isinstance(raw, int | float):
            moment = datetime.fromtimestamp(raw, UTC)
        else:
            moment = datetime.fromisoformat(str(raw))
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise ValueError(f"unsupported type {vtype.name}")


def read_points(points: Iterable[Point], state: Any | None) -> list[Reading]:
    """Readings of `points` from a State (None: the entity is gone)."""
    if state is None:
        return [Reading(p, None, "BadNoCommunication") for p in points]
    at = state.last_updated
    if state.state in (STATE_UNAVAILABLE, STATE_UNKNOWN):
        status = "BadNoCommunication" if state.state == STATE_UNAVAILABLE else "BadWaitingForInitialData"
        return [Reading(p, None, status, at) for p in points]
    return [
        _reading(p, state.state if p.source is None else state.attributes.get(p.source), at) for p in points
    ]


def read_record(record: Mapping[str, Any]) -> list[Reading]:
    """Readings of a lane's last decision from a ledger passage record."""
    return [_reading(p, record.get(key), None) for p, key in PASSAGE_POINTS]


def read_last_passage(record: Mapping[str, Any]) -> list[Reading]:
    """Readings of a lane's plate, decision and weight from its last passage (fields it lacks: none)."""
    try:
        at = convert(record.get("recorded_at"), DT)
    except (TypeError, ValueError):
        at = None
    return [
        _reading(point, record.get(key), at)
        for point, key in LAST_PASSAGE_POINTS
        if record.get(key) is not None
    ]


def lane_standard_points() -> list[Point]:
    """Every variable a lane has from the start, whether its devices have reported or not."""
    points = [p for kind in LANE_FIELDS.values() for p in kind]
    points += [p for p, _ in PASSAGE_POINTS]
    return list({(p.group, p.field): p for p in reversed(points)}.values())[::-1]


def plant_standard_points() -> list[Point]:
    return [*ALERT_POINTS, BACKLOG_TOTAL, *TODAY_COUNTERS]


def _reading(point: Point, raw: Any, at: datetime | None) -> Reading:
    if raw is None and point.vtype is not S:
        return Reading(point, None, "BadWaitingForInitialData", at)
    try:
        if point.enum is not None:
            return Reading(point, ENUMS[point.enum].index(str(raw)), "Good", at)
        value = convert(raw, point.vtype)
        return Reading(point, value * point.scale if point.scale != 1.0 else value, "Good", at)
    except (TypeError, ValueError, OverflowError):
        return Reading(point, None, "BadTypeMismatch", at)


# ----- lanes -------------------------------------------------------------------------------------
class LaneIndex:
    """The lanes known so far, by key `<gate>_<lane>`; matches entity object ids to a lane."""

    def __init__(self) -> None:
        self._lanes: dict[str, tuple[str, str]] = {}

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(list(self._lanes.values()))

    def __len__(self) -> int:
        return len(self._lanes)

    def add(self, gate: str, lane: str) -> bool:
        """True when the lane is new."""
        key = f"{gate}_{lane}"
        if key in self._lanes or not (SLUG.match(gate) and SLUG.match(lane)):
            return False
        self._lanes[key] = (gate, lane)
        return True

    def match(self, object_id: str) -> tuple[str, str, str] | None:
        """(gate, lane, what) for an object id of a known lane; the longest lane key wins."""
        best: tuple[str, str, str] | None = None
        for key, (gate, lane) in self._lanes.items():
            if object_id.startswith(key + "_") and len(object_id) > len(key) + 1:
                if best is None or len(key) > len(best[0]) + len(best[1]) + 1:
                    best = (gate, lane, object_id[len(key) + 1 :])
        return best

    @staticmethod
    def discover(object_id: str, attributes: Mapping[str, Any]) -> tuple[str, str] | None:
        """A lane named by an entity: by its gate/lane attributes, else by a known kind's suffix."""
        gate, lane = attributes.get("gate"), attributes.get("lane")
        if isinstance(gate, str) and isinstance(lane, str) and SLUG.match(gate) and SLUG.match(lane):
            if object_id.startswith(f"{gate}_{lane}_"):
                return gate, lane
        if object_id.startswith(("plant_", "uplink_")):
            return None
        for kind in KNOWN_KINDS:
            if object_id.endswith("_" + kind):
                # Without attributes the split is a guess: the lane is the last word of the prefix.
                gate, _, lane = object_id[: -len(kind) - 1].rpartition("_")
                if gate and SLUG.match(gate) and SLUG.match(lane):
                    return gate, lane
                return None
        return None


def lane_points(what: str) -> tuple[Point, ...]:
    return LANE_FIELDS.get(what) or (Point(what, "state", S),)


def plant_points(entity_id: str) -> tuple[Point, ...]:
    """The Plant variables an entity feeds (none for most entities)."""
    if entity_id == "select.plant_alert_level":
        return ALERT_POINTS
    if m := PLANT_TODAY.match(entity_id):
        return (Point("", m.group(1), U32),)
    if m := UPLINK_PENDING.match(entity_id):
        return (Point("", f"upload_backlog_{m.group(1)}", U32),)
    if m := UPLINK_CONNECTED.match(entity_id):
        return (Point("", f"uplink_{m.group(1)}_connected", B),)
    return ()


def lanes_in_config(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(gate, lane) pairs named anywhere in the configuration's sections (barrier lanes, cameras ...).

    Read from the parsed YAML only, so the address space shows every configured lane from the start.
    """
    found: list[tuple[str, str]] = []

    def walk(node: Any, depth: int) -> None:
        if depth > 4:
            return
        if isinstance(node, Mapping):
            gate, lane = node.get("gate"), node.get("lane")
            if isinstance(gate, str) and isinstance(lane, str) and SLUG.match(gate) and SLUG.match(lane):
                if (gate, lane) not in found:
                    found.append((gate, lane))
            for value in node.values():
                walk(value, depth + 1)
        elif isinstance(node, list):
            for item in node:
                walk(item, depth + 1)

    for section in config.values():
        walk(section, 0)
    return found
