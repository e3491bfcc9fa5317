"""The lanes overview: every lane's devices (from states) and its latest read and decision (from events)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from hub.core import Hub

from .const import ALERT_ENTITY, LANE_ENTITIES

if TYPE_CHECKING:
    from .websocket import LiveFeed


def lane_keys(hub: Hub, feed: LiveFeed) -> dict[str, tuple[str, str]]:
    """Lane key -> (gate, lane), from the cameras' plate sensors, the policy's decision sensors and
    from lanes seen in events."""
    found: dict[str, tuple[str, str]] = {}
    for state in hub.states.all("sensor"):
        attrs = state.attributes
        if state.entity_id.endswith(("_plate", "_decision")) and attrs.get("gate") and attrs.get("lane"):
            found[f"{attrs['gate']}_{attrs['lane']}"] = (str(attrs["gate"]), str(attrs["lane"]))
    for key, last in feed.last_by_lane.items():
        found.setdefault(key, last["where"])
    return dict(sorted(found.items()))


def lane_view(hub: Hub, feed: LiveFeed, key: str, gate: str, lane: str) -> dict[str, Any]:
    entities = {what: pattern.format(key=key) for what, pattern in LANE_ENTITIES.items()}
    decision = hub.states.get(f"sensor.{key}_decision")
    bound = decision.attributes.get("parts") if decision is not None else None
    if isinstance(bound, Mapping):  # a lane bound to the plant's own entities (docs/lanes.md)
        entities.update({what: str(bound[what]) for what in entities if bound.get(what)})
        if bound.get("rfid"):  # an identity reader: at a lane with no camera its tag is the read
            entities["rfid"] = str(bound["rfid"])
    last = feed.last_by_lane.get(key, {})
    plate_state = hub.states.get(entities["plate"])
    return {
        "key": key,
        "gate": gate,
        "lane": lane,
        "name": _lane_name(hub, entities),
        "entities": entities,
        "states": {what: _state(hub, entity_id) for what, entity_id in entities.items()},
        # The latest read: from the event if we saw it (it carries the read time), else the plate sensor.
        "read": last.get("plate_read") or _read_from_state(plate_state),
        "decision": last.get("gate_decision"),
        "passage": last.get("passage_recorded"),
    }


def snapshot(hub: Hub, feed: LiveFeed) -> dict[str, Any]:
    alert = hub.states.get(ALERT_ENTITY)
    return {
        "lanes": [
            lane_view(hub, feed, key, gate, lane) for key, (gate, lane) in lane_keys(hub, feed).items()
        ],
        "alert_level": alert.as_dict() if alert else None,
    }


def _state(hub: Hub, entity_id: str) -> dict[str, Any] | None:
    state = hub.states.get(entity_id)
    return state.as_dict() if state else None


def _read_from_state(state: Any) -> dict[str, Any] | None:
    if state is None or state.state in ("unknown", "unavailable", "None", ""):
        return None
    attrs: Mapping[str, Any] = state.attributes
    read = {k: attrs.get(k) for k in ("colour", "confidence", "direction", "needs_review", "read_id")}
    read.update(plate=state.state, read_at=state.last_changed.isoformat() if state.last_changed else None)
    return read


def _lane_name(hub: Hub, entities: Mapping[str, str]) -> str | None:
    """What people call the lane: its camera's name, else (a lane with no camera, e.g. a machinery lane
    with a tag reader) its barrier's, else its reader's."""
    names = (device_name(hub, entities[part]) for part in ("plate", "barrier", "rfid") if part in entities)
    return next((name for name in names if name), None)


def device_name(hub: Hub, entity_id: str) -> str | None:
    entity = hub.entities.get_entity(entity_id)
    info = entity.device_info if entity else None
    return info.name if info else None
