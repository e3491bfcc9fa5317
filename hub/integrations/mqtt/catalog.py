"""What Home Assistant is told about the hub's entities: each filed under its device (its lane's, its
own, or the hub's), with the lanes' plate-read events and photos, ready for DeviceDiscovery to send."""

from __future__ import annotations

import socket
from typing import Any

from hub.core import Entity, Hub, State

from .commands import CommandTarget
from .config import MqttConfig
from .const import LANE_ENTITY_KEYS, TOTAL_INCREASING_KEYS
from .devices import DeviceDiscovery
from .discovery import (
    EntityView,
    Topics,
    component_key,
    device_block,
    device_id_of,
    entity_component,
    hub_device,
    lane_components,
    lane_device,
    origin,
    passage_event_component,
)
from .lanes import LaneDirectory


class DiscoveryCatalog:
    def __init__(self, hub: Hub, conf: MqttConfig, topics: Topics) -> None:
        self._hub = hub
        self._conf = conf
        self._topics = topics
        self._hub_device = hub_device(conf.node_id, hub.core_config.name)
        # Not the node id alone: `<prefix>/device/<node_id>/config` would give the hub's components the
        # discovery ids of the older per-entity topics (`<node_id> passage`), and emptying those
        # topics after the migration would remove them from Home Assistant again.
        self._hub_device_id = f"{conf.node_id}_hub"
        self.devices = DeviceDiscovery(topics, origin(conf.support_url))
        self.lanes = LaneDirectory(conf.lane_names, hub.core_config.language)

    def file(self, state: State, entity: Entity | None, target: CommandTarget | None) -> None:
        self._put_entity(self._view(state, entity, target))

    def remove(self, entity_id: str) -> None:
        self.devices.remove(entity_id)

    def old_topics(self) -> list[str]:
        """The per-entity config topics older versions published for what is filed now."""
        topics = [self._topics.config(eid) for eid in sorted(self.devices.owned()) if "." in eid]
        return [*topics, self._topics.passage_event_config()]

    def refresh(self) -> None:
        """Before each announcement: the hub device with the HMI's address (configured, else where the
        HMI listens, known once it started) and its passage event; every device is sent again."""
        url = self._conf.hmi_url
        ui = self._hub.data.get("ui")
        if url is None and ui is not None and getattr(ui, "port", None):
            host = ui.config.host
            if host in ("0.0.0.0", "::"):  # all addresses: the name others know this machine by
                host = socket.gethostname()
            url = f"http://{host}:{ui.port}/"
        self._hub_device = hub_device(self._conf.node_id, self._hub.core_config.name, url)
        self.devices.origin = origin(self._conf.support_url or url)
        self.devices.put("passage", self._hub_device_id, self._hub_device, "passage",
                         passage_event_component(self._topics))  # fmt: skip
        self.devices.resend_all()

    def _put_entity(self, view: EntityView) -> None:
        """File the entity's component under its Home Assistant device: its lane's, its own, the hub's."""
        node = self._conf.node_id
        component = entity_component(view, self._topics)
        key = component_key(view.entity_id)
        lane = view.lane
        if view.device is not None:
            seen = self.lanes.note(view.device.identifier, view.device.name)
            if seen is not None:
                self._put_lane(seen)
        if lane is not None:
            self.devices.put(view.entity_id, device_id_of(f"{node}_lane_{lane}"), self._lane_block(lane),
                              key, component)  # fmt: skip
        elif view.device is not None:
            self.devices.put(view.entity_id, device_id_of(f"{node}_{view.device.identifier}"),
                              device_block(view.device, node), key, component)  # fmt: skip
        else:
            self.devices.put(view.entity_id, self._hub_device_id, self._hub_device, key, component)

    def _lane_block(self, lane: str) -> dict[str, Any]:
        return lane_device(self._conf.node_id, lane, self.lanes.name(lane))

    def _put_lane(self, lane: str) -> None:
        """The lane's device with its plate-read event and photos (again: its name may have changed)."""
        device_id = device_id_of(f"{self._conf.node_id}_lane_{lane}")
        block = self._lane_block(lane)
        for key, component in lane_components(self._topics, lane, self.lanes.component_names()).items():
            self.devices.put(f"lane:{key}", device_id, block, key, component)

    def _view(self, state: State, entity: Entity | None, target: CommandTarget | None) -> EntityView:
        attrs = state.attributes
        desc = entity.entity_description if entity is not None else None
        icon = attrs.get("icon")
        options = attrs.get("options")
        if target is not None and target.kind == "alert_level":
            options = target.options
        elif not isinstance(options, list | tuple) or not options:
            options = (state.state,)
        device = entity.device_info if entity is not None else None
        name = (desc.name if desc else None) or attrs.get("friendly_name")
        lane = None
        if device is not None and desc is not None:
            home = self.lanes.lane_of(device.identifier)
            if home is not None and (home[0], desc.key) in LANE_ENTITY_KEYS:
                lane = home[1]  # under the lane's device, named as a person reads it
                name = self.lanes.component_names().get(desc.key, name)
        state_class = attrs.get("state_class")
        if state_class is None and desc is not None and desc.key in TOTAL_INCREASING_KEYS:
            state_class = "total_increasing"
        return EntityView(
            entity_id=state.entity_id,
            unique_id=entity.unique_id if entity is not None else f"state-{state.entity_id}",
            name=name,
            device=device,
            device_class=(desc.device_class if desc else None) or attrs.get("device_class"),
            unit_of_measurement=(desc.unit_of_measurement if desc else None)
            or attrs.get("unit_of_measurement"),
            state_class=state_class,
            icon=icon if isinstance(icon, str) and icon.startswith("mdi:") else None,
            entity_category=desc.entity_category if desc else None,
            options=tuple(str(o) for o in options),
            commandable=target is not None,
            lane=lane,
        )
