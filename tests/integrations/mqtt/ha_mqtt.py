"""Home Assistant's MQTT discovery, as much of it as the hub's messages meet, for the tests to read them with.

Written from Home Assistant's own rules (homeassistant/components/mqtt: abbreviations.py, discovery.py
and each platform's PLATFORM_SCHEMA): abbreviations expanded at the top, in `device`, `origin`,
`availability` and in each component of a device config; device configs split into one config per
component, which inherits `device` and `origin`; a component with its platform alone is a removal;
`migrate_discovery` hands an entity from a per-entity topic over to a device config; required keys
per platform; templates rendered by Jinja2 the way Home Assistant renders them, with a missing key
an error (StrictUndefined) as Home Assistant logs one.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

# Home Assistant's abbreviations.py, the keys a discovery message of the hub may use.
ABBREVIATIONS = {
    "avty": "availability", "avty_mode": "availability_mode", "avty_t": "availability_topic",
    "avty_tpl": "availability_template", "cmd_t": "command_topic", "cmd_tpl": "command_template",
    "cmps": "components", "cont_type": "content_type", "def_ent_id": "default_entity_id",
    "dev": "device", "dev_cla": "device_class", "ent_cat": "entity_category", "evt_typ": "event_types",
    "ic": "icon", "img_e": "image_encoding", "img_t": "image_topic", "json_attr_t": "json_attributes_topic",
    "json_attr_tpl": "json_attributes_template", "migr_discvry": "migrate_discovery", "o": "origin",
    "obj_id": "object_id", "ops": "options", "p": "platform", "pl_avail": "payload_available",
    "pl_cls": "payload_close", "pl_not_avail": "payload_not_available", "pl_off": "payload_off",
    "pl_on": "payload_on", "pl_open": "payload_open", "pl_prs": "payload_press", "pl_stop": "payload_stop",
    "stat_cla": "state_class", "stat_closing": "state_closing", "stat_clsd": "state_closed",
    "stat_open": "state_open", "stat_opening": "state_opening", "stat_t": "state_topic",
    "uniq_id": "unique_id", "unit_of_meas": "unit_of_measurement", "url_t": "url_topic",
    "url_tpl": "url_template", "val_tpl": "value_template",
}  # fmt: skip
DEVICE_ABBREVIATIONS = {
    "cns": "connections", "cu": "configuration_url", "ids": "identifiers", "mf": "manufacturer",
    "mdl": "model", "mdl_id": "model_id", "hw": "hw_version", "sw": "sw_version", "sa": "suggested_area",
    "sn": "serial_number",
}  # fmt: skip
ORIGIN_ABBREVIATIONS = {"sw": "sw_version", "url": "support_url"}
AVAILABILITY_ABBREVIATIONS = {"t": "topic", "val_tpl": "value_template", "pl_avail": "payload_available",
                              "pl_not_avail": "payload_not_available"}  # fmt: skip

# Required keys of each platform's PLATFORM_SCHEMA (vol.Required), and the "one of" groups.
REQUIRED = {
    "sensor": {"state_topic"},
    "binary_sensor": {"state_topic"},
    "cover": set(),
    "select": {"command_topic", "options"},
    "button": {"command_topic"},
    "event": {"state_topic", "event_types"},
    "image": set(),
}
ONE_OF = {"image": ("image_topic", "url_topic")}
EXCLUSIVE = (("availability", "availability_topic"), ("image_topic", "url_topic"))
TEMPLATE_KEYS = ("value_template", "json_attributes_template", "availability_template", "url_template",
                 "command_template")  # fmt: skip
STATE_CLASSES = {"measurement", "measurement_angle", "total", "total_increasing"}
DISCOVERY_TOPIC = re.compile(
    r"^(?P<component>\w+)/(?:(?P<node_id>[a-zA-Z0-9_-]+)/)?(?P<object_id>[a-zA-Z0-9_-]+)/config$"
)


class Rejected(AssertionError):
    """What Home Assistant would reject (and log) instead of setting up an entity."""


def environment() -> ImmutableSandboxedEnvironment:
    """Home Assistant's template environment, as far as MQTT templates use it."""
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined)
    env.filters["to_json"] = lambda value: json.dumps(value, ensure_ascii=False)
    env.filters["from_json"] = json.loads
    return env


def render(template: str, payload: str) -> str:
    """A value template on a payload: `value`, and `value_json` where the payload is JSON."""
    variables: dict[str, Any] = {"value": payload}
    try:
        variables["value_json"] = json.loads(payload)
    except ValueError:
        pass
    try:
        return environment().from_string(template).render(variables)
    except Exception as err:  # what Home Assistant logs as a template error, dropping the message
        problem = f"template error {type(err).__name__}: {err} in {template!r} on {payload[:200]!r}"
        raise Rejected(problem) from err


def _expand(mapping: dict[str, Any], table: dict[str, str]) -> dict[str, Any]:
    return {table.get(key, key): value for key, value in mapping.items()}


def expand(payload: dict[str, Any]) -> dict[str, Any]:
    """Home Assistant's `_replace_all_abbreviations`."""
    out = _expand(payload, ABBREVIATIONS)
    if isinstance(out.get("device"), dict):
        out["device"] = _expand(out["device"], DEVICE_ABBREVIATIONS)
    if isinstance(out.get("origin"), dict):
        out["origin"] = _expand(out["origin"], ORIGIN_ABBREVIATIONS)
    if isinstance(out.get("availability"), list):
        out["availability"] = [_expand(a, AVAILABILITY_ABBREVIATIONS) for a in out["availability"]]
    if isinstance(out.get("components"), dict):
        out["components"] = {k: expand(v) for k, v in out["components"].items()}
    return out


def check(platform: str, config: dict[str, Any]) -> None:
    """A component's config against its platform's schema; raises Rejected as Home Assistant would."""
    if platform not in REQUIRED:
        raise Rejected(f"platform {platform!r} is not one the hub should announce")
    if missing := REQUIRED[platform] - set(config):
        raise Rejected(f"{platform} {config.get('unique_id')}: required {sorted(missing)} missing")
    if platform in ONE_OF and sum(key in config for key in ONE_OF[platform]) != 1:
        raise Rejected(f"{platform} {config.get('unique_id')}: exactly one of {ONE_OF[platform]}")
    for group in EXCLUSIVE:
        if all(key in config for key in group):
            raise Rejected(f"{config.get('unique_id')}: {group} are exclusive")
    if "device" in config:
        device = config["device"]
        if not (device.get("identifiers") or device.get("connections")):
            raise Rejected(f"{config.get('unique_id')}: a device needs identifiers or connections")
        if "unique_id" not in config:
            raise Rejected("an entity with a device needs a unique_id")
        url = device.get("configuration_url")
        if url is not None and not re.match(r"^(https?|homeassistant)://\S+$", url):
            raise Rejected(f"configuration_url {url!r} is not a URL")
    origin = config.get("origin")
    if origin is not None and not origin.get("name"):
        raise Rejected("origin needs a name")
    if platform == "event":
        types = config["event_types"]
        if not types or not all(isinstance(t, str) for t in types):
            raise Rejected("event_types must be a non-empty list of strings")
    if "state_class" in config and config["state_class"] not in STATE_CLASSES:
        raise Rejected(f"unknown state_class {config['state_class']!r}")
    if config.get("entity_category") not in (None, "config", "diagnostic"):
        raise Rejected(f"unknown entity_category {config['entity_category']!r}")
    for availability in config.get("availability", []):
        if "topic" not in availability:
            raise Rejected("an availability entry needs a topic")
    for key in TEMPLATE_KEYS:
        if key in config:
            environment().parse(config[key])  # a syntax error rejects the whole config


@dataclass
class Entity:
    platform: str
    discovery_id: str
    config: dict[str, Any]


@dataclass
class HomeAssistant:
    """The discovered entities after a stream of messages, with what went wrong on the way."""

    prefix: str
    entities: dict[str, Entity] = field(default_factory=dict)  # unique_id -> entity
    removed: list[str] = field(default_factory=list)  # unique ids removed (registry entries lost)
    migrating: set[tuple[str, str]] = field(default_factory=set)
    duplicates: list[str] = field(default_factory=list)
    devices: dict[str, dict[str, Any]] = field(default_factory=dict)  # discovery topic -> device

    def feed(self, topic: str, payload: bytes) -> None:
        head, sep, rest = topic.partition(self.prefix + "/")
        if head or not sep or not (match := DISCOVERY_TOPIC.match(rest)):
            return
        component, node_id, object_id = match["component"], match["node_id"], match["object_id"]
        if component == "device":
            self._device(topic, payload, node_id, object_id)
            return
        discovery_id = f"{node_id} {object_id}" if node_id else object_id
        config = expand(json.loads(payload)) if payload else {}
        if config.get("migrate_discovery"):
            self.migrating.add((component, discovery_id))
            return
        self._apply(component, discovery_id, config or None)

    def _device(self, topic: str, payload: bytes, node_id: str | None, object_id: str) -> None:
        if not payload:
            for component, discovery_id in self.devices.pop(topic, {}).get("ids", []):
                self._apply(component, discovery_id, None)
            return
        message = expand(json.loads(payload))
        for key in ("device", "origin", "components"):
            if key not in message:
                raise Rejected(f"{topic}: device discovery needs {key!r}")
        ids = []
        for key, component in message["components"].items():
            platform = component.get("platform")
            if platform is None:
                raise Rejected(f"{topic}: component {key} has no platform")
            discovery_id = f"{object_id} {node_id} {key}" if node_id else f"{object_id} {key}"
            ids.append((platform, discovery_id))
            rest = {k: v for k, v in component.items() if k != "platform"}
            if not rest:
                self._apply(platform, discovery_id, None)
                continue
            config = {**rest, "device": message["device"], "origin": message["origin"]}
            self._apply(platform, discovery_id, config)
        for gone in set(self.devices.get(topic, {}).get("ids", [])) - set(ids):
            self._apply(*gone, None)  # left out of the device config: removed
        self.devices[topic] = {"ids": ids, "device": message["device"], "origin": message["origin"]}

    def _apply(self, platform: str, discovery_id: str, config: dict[str, Any] | None) -> None:
        where = (platform, discovery_id)
        owner = next((u for u, e in self.entities.items() if (e.platform, e.discovery_id) == where), None)
        if config is None:
            if owner is not None:
                del self.entities[owner]
                self.removed.append(owner)
            return
        check(platform, config)
        unique_id = config["unique_id"]
        held = self.entities.get(unique_id)
        if held is not None and (held.platform, held.discovery_id) != (platform, discovery_id):
            if (held.platform, held.discovery_id) in self.migrating:
                self.migrating.discard((held.platform, held.discovery_id))  # handed over, entity kept
            else:
                self.duplicates.append(unique_id)  # "unique ID already exists": ignored by Home Assistant
                return
        if owner is not None and owner != unique_id:
            del self.entities[owner]
        self.entities[unique_id] = Entity(platform, discovery_id, config)

    def by_default_id(self, entity_id: str) -> dict[str, Any]:
        for entity in self.entities.values():
            if entity.config.get("default_entity_id") == entity_id:
                return entity.config
        have = sorted(str(e.config.get("default_entity_id")) for e in self.entities.values())
        raise KeyError(f"{entity_id} not discovered; have {have}")
