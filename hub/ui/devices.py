"""The devices page (设备状态, /devices): every device of the plant — cameras, barriers, weighbridges,
platforms, OPC UA and MQTT connections — with online, last seen and last error, read from the entities'
states. Read-only: devices are configured in YAML, so the page has nothing to change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web

from hub.core.state import State

from .pages import page, render
from .responses import ui_of

# A device's kind from its integration, in the order the page shows them.
KINDS = ("anpr", "barrier", "weighbridge", "uplink", "opcua", "mqtt", "modbus")


@dataclass
class DeviceView:
    identifier: str
    name: str
    integration: str
    model: str | None
    states: list[State] = field(default_factory=list)

    @property
    def connection(self) -> State | None:
        """The device's connectivity sensor, where it has one."""
        return next(
            (s for s in self.states if s.domain == "binary_sensor"
             and s.attributes.get("device_class") == "connectivity"),
            None,
        )  # fmt: skip

    @property
    def online(self) -> bool | None:
        conn = self.connection
        if conn is not None:
            return conn.state == "on"
        if not self.states:
            return None
        return all(s.available for s in self.states)

    @property
    def last_error(self) -> str | None:
        for s in self.states:
            if s.attributes.get("last_error"):
                return str(s.attributes["last_error"])
        return None

    @property
    def last_seen(self) -> str | None:
        """When the device last answered: its `last_ok`, else the newest update of a state it gave."""
        conn = self.connection
        if conn is not None and conn.attributes.get("last_ok"):
            return _text(conn.attributes["last_ok"])
        times = [s.last_updated for s in self.states if s.available and s.last_updated]
        return _text(max(times)) if times else None

    @property
    def problems(self) -> list[State]:
        return [s for s in self.states if s.attributes.get("device_class") == "problem" and s.state == "on"]


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    return str(value).replace("T", " ")[:19]


def device_views(hub: Any) -> list[DeviceView]:
    """The devices with their entities' current states, grouped by kind then name."""
    views: dict[str, DeviceView] = {}
    for entity in hub.entities.entities():
        info = entity.device_info
        if info is None or entity.entity_id is None:
            continue
        row = hub.devices.get(info.identifier)
        view = views.get(info.identifier)
        if view is None:
            integration = row.integration if row else info.identifier.partition(":")[0]
            view = views[info.identifier] = DeviceView(info.identifier, info.name, integration, info.model)
        state = hub.states.get(entity.entity_id)
        if state is not None:
            view.states.append(state)

    def order(v: DeviceView) -> tuple[int, str]:
        return (KINDS.index(v.integration) if v.integration in KINDS else len(KINDS), v.name)

    return sorted(views.values(), key=order)


@page("devices")
async def devices_page(request: web.Request) -> web.Response:
    views = device_views(ui_of(request).hub)
    offline = sum(1 for v in views if v.online is False)
    return render(request, "devices.html", page="devices", devices=views, offline=offline)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/devices", devices_page)
