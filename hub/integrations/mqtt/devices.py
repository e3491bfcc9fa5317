"""One retained discovery message per Home Assistant device, kept while its entities come, change and go.

Home Assistant's device discovery (`<prefix>/device/<device_id>/config`) carries the device, the
origin and all its entities under `cmps`: a change to one entity sends the device's message again.
An entity that goes is sent once as its platform alone (Home Assistant's removal of a component);
a device left without entities gets an empty retained payload, which removes it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .discovery import Topics, device_config, encode_json


@dataclass(slots=True)
class _Device:
    block: dict[str, Any]
    components: dict[str, dict[str, Any]] = field(default_factory=dict)
    removed: dict[str, dict[str, Any]] = field(default_factory=dict)


class DeviceDiscovery:
    def __init__(self, topics: Topics, origin: dict[str, Any]) -> None:
        self.topics = topics
        self.origin = origin
        self._devices: dict[str, _Device] = {}
        self._home: dict[str, tuple[str, str]] = {}  # owner (an entity id ...) -> (device id, cmps key)
        self._dirty: set[str] = set()
        self._sent: dict[str, str] = {}  # device id -> the payload last published

    def put(
        self, owner: str, device_id: str, block: dict[str, Any], key: str, component: dict[str, Any]
    ) -> None:
        """`owner`'s component is `component`, under `key` of `device_id` (moved if it was elsewhere)."""
        home = self._home.get(owner)
        if home is not None and home != (device_id, key):
            self.remove(owner)
        device = self._devices.get(device_id)
        if device is None:
            device = self._devices[device_id] = _Device(block)
        if device.block != block:
            device.block = block
            self._dirty.add(device_id)
        if device.components.get(key) != component:
            device.components[key] = component
            device.removed.pop(key, None)
            self._dirty.add(device_id)
        self._home[owner] = (device_id, key)

    def remove(self, owner: str) -> None:
        home = self._home.pop(owner, None)
        if home is None:
            return
        device = self._devices[home[0]]
        component = device.components.pop(home[1], None)
        if component is not None:
            device.removed[home[1]] = {"platform": component["platform"]}
            self._dirty.add(home[0])

    def owned(self) -> set[str]:
        return set(self._home)

    def resend_all(self) -> None:
        """Everything is published again on the next `pending` (a new connection, a Home Assistant birth)."""
        self._sent.clear()
        self._dirty.update(self._devices)

    def pending(self) -> list[tuple[str, str]]:
        """(topic, payload) of each device whose message changed since it was last published."""
        out: list[tuple[str, str]] = []
        for device_id in sorted(self._dirty):
            device = self._devices.get(device_id)
            if device is None:
                continue
            if device.components:
                components = {**device.removed, **device.components}
                payload = encode_json(device_config(device.block, self.origin, components))
            else:
                payload = ""  # nothing left: Home Assistant removes the device
                del self._devices[device_id]
            device.removed.clear()
            if self._sent.get(device_id, "") != payload:
                out.append((self.topics.device_config(device_id), payload))
            if payload:
                self._sent[device_id] = payload
            else:
                self._sent.pop(device_id, None)
        self._dirty.clear()
        return out
