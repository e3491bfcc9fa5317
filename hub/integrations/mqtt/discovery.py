"""Topics and Home Assistant discovery payloads: pure functions of an entity's description.

Discovery is per device (`<prefix>/device/<device_id>/config`, retained): one message names the
device, the origin and every entity of it under `cmps`, and tells Home Assistant, and anyone else
who reads it, where each entity's state, attributes, availability and commands travel. The state
topics carry the hub's own state strings (what a SCADA client wants to read); the `value_template`
maps those Home Assistant cannot take to its `None`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from enum import Enum
from typing import Any

from hub.core import DeviceInfo

from .const import (
    COVER_STATES,
    HA_COMPONENTS,
    HA_DEVICE_CLASSES,
    OFFLINE,
    ONLINE,
    PAYLOAD_CLOSE,
    PAYLOAD_OPEN,
    PHOTO_KINDS,
    PLATE_READ_TYPES,
    RECORD_KINDS,
    SW_VERSION,
)

# What Home Assistant cannot show (unknown/unavailable, a barrier in fault) becomes its `None`.
VALUE_TEMPLATE = "{{ 'None' if value in ('unknown', 'unavailable') else value }}"
# A number has no empty value: a numeric sensor shows an empty state as unknown, not as an error.
NUMERIC_VALUE_TEMPLATE = "{{ 'None' if value in ('unknown', 'unavailable', '<empty>') else value }}"
COVER_VALUE_TEMPLATE = "{{ value if value in ('open', 'opening', 'closed', 'closing') else 'None' }}"
# Every field read with `.get`: a record kind without a field (a weight has no reason, a lifecycle
# row no plate) gives null, not the template error Home Assistant logged, dropping the event.
PASSAGE_EVENT_TEMPLATE = (
    "{{ {'event_type': value_json.get('kind'), 'plate': value_json.get('plate'), "
    "'gate': value_json.get('gate'), 'lane': value_json.get('lane'), "
    "'direction': value_json.get('direction'), 'decision': value_json.get('decision'), "
    "'reason_text': value_json.get('reason_text'), 'seq': value_json.get('seq')} | to_json }}"
)


@dataclass(frozen=True, slots=True)
class EntityView:
    """What discovery needs to know about one entity (from its Entity object and its state)."""

    entity_id: str
    unique_id: str
    name: str | None
    device: DeviceInfo | None = None
    device_class: str | None = None
    unit_of_measurement: str | None = None
    state_class: str | None = None
    icon: str | None = None
    entity_category: str | None = None
    options: tuple[str, ...] | None = None
    commandable: bool = False
    lane: str | None = None  # the lane key of a lane's own entity (decision, display)


class Topics:
    """Where everything travels. Commands: `<base>/command/<account>/<entity_id>`, one branch per broker
    account so that a broker ACL (`pattern write <base>/command/%u/#`) vouches for the sender, or the
    shared `<base>/<entity_id>/set` that names no sender (an allowed open broker only)."""

    def __init__(
        self, base: str, discovery_prefix: str, node_id: str, command_account: str | None = None
    ) -> None:
        self.base = base
        self.prefix = discovery_prefix
        self.node_id = node_id
        self.command_account = command_account  # Home Assistant's: the command topic discovery names
        self.status = f"{base}/status"
        self.passage = f"{base}/passage"
        self.command_filter = f"{base}/+/set"
        self.account_command_filter = f"{base}/command/+/+"
        self.ha_status = f"{discovery_prefix}/status"  # Home Assistant's birth message

    def state(self, entity_id: str) -> str:
        return f"{self.base}/{entity_id}/state"

    def attributes(self, entity_id: str) -> str:
        return f"{self.base}/{entity_id}/attributes"

    def availability(self, entity_id: str) -> str:
        return f"{self.base}/{entity_id}/availability"

    def command(self, entity_id: str) -> str:
        if self.command_account:
            return self.account_command(self.command_account, entity_id)
        return f"{self.base}/{entity_id}/set"

    def account_command(self, account: str, entity_id: str) -> str:
        return f"{self.base}/command/{account}/{entity_id}"

    def reply(self, account: str, entity_id: str) -> str:
        """What became of an account's command (door.py), on a branch only that account may read."""
        return f"{self.base}/reply/{account}/{entity_id}"

    def command_of(self, topic: str) -> tuple[str | None, str] | None:
        """(broker account or None for the shared topic, entity id) of a command topic, else None."""
        head, sep, rest = topic.partition(self.base + "/")
        if head or not sep:
            return None
        levels = rest.split("/")
        if len(levels) == 3 and levels[0] == "command" and levels[1] and levels[2]:
            return levels[1], levels[2]
        if len(levels) == 2 and levels[0] and levels[1] == "set":
            return None, levels[0]
        return None

    def config(self, entity_id: str) -> str:
        """The per-entity config topic of versions before device discovery (withdrawn now)."""
        component, object_id = ha_component(entity_id)
        return f"{self.prefix}/{component}/{self.node_id}/{object_id}/config"

    def passage_event_config(self) -> str:
        return f"{self.prefix}/event/{self.node_id}/passage/config"

    def device_config(self, device_id: str) -> str:
        return f"{self.prefix}/device/{device_id}/config"

    def plate_read(self, lane_key: str) -> str:
        return f"{self.base}/lane/{lane_key}/plate_read"

    def photo(self, lane_key: str, kind: str) -> str:
        return f"{self.base}/lane/{lane_key}/{kind}_photo"


def ha_component(entity_id: str) -> tuple[str, str]:
    """The Home Assistant platform and object id for a hub entity; other domains become sensors."""
    domain, _, object_id = entity_id.partition(".")
    if domain in HA_COMPONENTS:
        return domain, object_id
    return "sensor", f"{domain}_{object_id}"


def device_id_of(text: str) -> str:
    """A device topic level from any identifier: Home Assistant allows only [A-Za-z0-9_-] there."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def origin(support_url: str | None) -> dict[str, Any]:
    block: dict[str, Any] = {"name": "EcoGate Hub", "sw_version": SW_VERSION}
    if support_url:
        block["support_url"] = support_url
    return block


def hub_device(node_id: str, name: str, configuration_url: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {
        "identifiers": [node_id],
        "name": name,
        "manufacturer": "EcoGate",
        "model": "EcoGate Hub",
        "sw_version": SW_VERSION,
    }
    if configuration_url:
        block["configuration_url"] = configuration_url  # the HMI: Home Assistant links to it
    return block


def lane_device(node_id: str, lane_key: str, name: str) -> dict[str, Any]:
    return {
        "identifiers": [f"{node_id}_lane:{lane_key}"],
        "name": name,
        "manufacturer": "EcoGate",
        "model": "Lane",
        "via_device": node_id,
    }


def device_block(device: DeviceInfo, node_id: str) -> dict[str, Any]:
    block: dict[str, Any] = {
        "identifiers": [f"{node_id}_{device.identifier}"],
        "name": device.name,
        "via_device": node_id,
    }
    if device.manufacturer:
        block["manufacturer"] = device.manufacturer
    if device.model:
        block["model"] = device.model
    return block


def entity_component(view: EntityView, topics: Topics) -> dict[str, Any]:
    """The `cmps` entry that announces `view` (its platform under `platform`)."""
    component, object_id = ha_component(view.entity_id)
    if component == "select" and not view.commandable:
        component = "sensor"  # Home Assistant's MQTT select requires a command topic
    eid = view.entity_id
    payload: dict[str, Any] = {
        "platform": component,
        "name": view.name or object_id,
        "unique_id": f"{topics.node_id}_{view.unique_id}",
        "object_id": object_id,  # Home Assistant before 2025.10
        "default_entity_id": f"{component}.{object_id}",  # since 2025.10
        "availability": [{"topic": topics.status}, {"topic": topics.availability(eid)}],
        "availability_mode": "all",
        "payload_available": ONLINE,
        "payload_not_available": OFFLINE,
        "state_topic": topics.state(eid),
        "json_attributes_topic": topics.attributes(eid),
        "value_template": VALUE_TEMPLATE,
    }
    if view.device_class and view.device_class in HA_DEVICE_CLASSES.get(component, ()):
        payload["device_class"] = view.device_class
    if view.icon:
        payload["icon"] = view.icon
    if view.entity_category in ("diagnostic", "config"):
        payload["entity_category"] = view.entity_category
    if component == "sensor":
        if view.unit_of_measurement:
            payload["unit_of_measurement"] = view.unit_of_measurement
            payload["state_class"] = view.state_class or "measurement"
        elif view.state_class:
            payload["state_class"] = view.state_class
        if "state_class" in payload:
            payload["value_template"] = NUMERIC_VALUE_TEMPLATE
    elif component == "binary_sensor":
        payload |= {"payload_on": "on", "payload_off": "off"}
    elif component == "cover":
        payload["value_template"] = COVER_VALUE_TEMPLATE
        payload |= {f"state_{s}": s for s in COVER_STATES}
        if view.commandable:
            payload |= {
                "command_topic": topics.command(eid),
                "payload_open": PAYLOAD_OPEN,
                "payload_close": PAYLOAD_CLOSE,
                "payload_stop": None,  # a barrier arm cannot be stopped halfway
            }
    elif component == "select":
        payload["options"] = list(view.options or ())
        payload["command_topic"] = topics.command(eid)
    return payload


def component_key(entity_id: str) -> str:
    """An entity's key under `cmps` (Home Assistant's discovery id of it within the device)."""
    return entity_id.replace(".", "_")


def passage_event_component(topics: Topics) -> dict[str, Any]:
    """An `event` entity of the hub device that fires for every record on the passage topic."""
    return {
        "platform": "event",
        "name": "Passage",
        "unique_id": f"{topics.node_id}_passage",
        "object_id": f"{topics.node_id}_passage",
        "default_entity_id": f"event.{topics.node_id}_passage",
        "availability_topic": topics.status,
        "state_topic": topics.passage,
        "event_types": list(RECORD_KINDS),
        "value_template": PASSAGE_EVENT_TEMPLATE,
        "icon": "mdi:truck",
    }


def lane_components(topics: Topics, lane_key: str, names: dict[str, str]) -> dict[str, dict[str, Any]]:
    """A lane's plate reads (an `event`: allow, deny, review, released) and its latest photos
    (`image`s fed with the bytes themselves: Home Assistant needs no HMI account to show them)."""
    node = topics.node_id
    components: dict[str, dict[str, Any]] = {
        f"{lane_key}_plate_read": {
            "platform": "event",
            "name": names["plate_read"],
            "unique_id": f"{node}_lane:{lane_key}-plate_read",
            "object_id": f"{lane_key}_plate_read",
            "default_entity_id": f"event.{lane_key}_plate_read",
            "availability_topic": topics.status,
            "state_topic": topics.plate_read(lane_key),
            "event_types": list(PLATE_READ_TYPES),
            "icon": "mdi:card-text",
        }
    }
    for kind in PHOTO_KINDS:
        components[f"{lane_key}_{kind}_photo"] = {
            "platform": "image",
            "name": names[f"{kind}_photo"],
            "unique_id": f"{node}_lane:{lane_key}-{kind}_photo",
            "object_id": f"{lane_key}_{kind}_photo",
            "default_entity_id": f"image.{lane_key}_{kind}_photo",
            "availability_topic": topics.status,
            "image_topic": topics.photo(lane_key, kind),
            "content_type": "image/jpeg",
        }
    return components


def device_config(
    device: dict[str, Any], origin_block: dict[str, Any], components: dict[str, Any]
) -> dict[str, Any]:
    """Abbreviated at the top as Home Assistant's examples are (`dev`, `o`, `cmps`)."""
    return {"dev": device, "o": origin_block, "cmps": components}


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(value)} bytes>"  # images stay in the evidence store; the ledger has their hash
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return str(value)


def encode_json(value: Any) -> str:
    """Compact UTF-8 JSON (plates and reasons stay readable Chinese); odd types made JSON-safe."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)
