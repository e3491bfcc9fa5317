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

from .i18n import Translator
from .pages import page, render
from .responses import ui_of

# A device's kind from its integration, in the order the page shows them.
KINDS = ("anpr", "barrier", "weighbridge", "uplink", "opcua", "mqtt", "modbus")


# Units the integrations give in one language, by the message that names them in the page's.
UNITS = {
    "条": "devices.unit.records", "findings": "devices.unit.findings", "vehicles": "devices.unit.vehicles",
}  # fmt: skip


@dataclass
class DeviceView:
    identifier: str
    name: str
    integration: str
    model: str | None
    model_key: str | None = None  # an integration's own model (DeviceInfo.model_key), translated
    model_values: dict[str, str] = field(default_factory=dict)
    states: list[State] = field(default_factory=list)
    translation_keys: dict[str, str] = field(default_factory=dict)  # entity id -> its translation key

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

    def label(self, t: Translator) -> str:
        """The name a person reads: the plant's own services (准入策略, 电子台账) and a lane's decision in
        the page's language; a device named in the plant's configuration (东门入口车牌相机) as named."""
        kind, _, rest = self.identifier.partition(":")
        known = t(f"devices.device.{kind}_{rest}", "")
        if known:
            return known
        if kind == "policy":
            attrs = self.states[0].attributes if self.states else {}
            lane = f"{attrs['gate']}/{attrs['lane']}" if attrs.get("gate") and attrs.get("lane") else rest
            return t("devices.device.decision", lane=lane)
        if kind == "rfid":
            return t("devices.device.rfid", name=rest)
        if kind == "uplink":  # `监管平台 市级监管平台`: the kind column says 监管平台 already
            return self.name.removeprefix("监管平台 ")
        return self.name

    def model_label(self, t: Translator) -> str:
        """The model in the page's language where an integration wrote it, else as the plant wrote it."""
        model = self.model or ""
        return t(f"devices.model.{self.model_key}", model, **self.model_values) if self.model_key else model

    def problem_label(self, t: Translator, state: State) -> str:
        key = self.translation_keys.get(state.entity_id)
        name = str(state.attributes.get("friendly_name") or state.entity_id)
        return t(f"entity.{key}", name) if key else name

    @staticmethod
    def value(t: Translator, state: State) -> str:
        """A state as a person reads it: 放行, not allow; 0 条 / 0 records."""
        if state.entity_id.endswith("_decision") and state.domain == "sensor":
            text = t(f"decision.{state.state}", "") or t(f"state.{state.state}", state.state)
        elif state.domain == "select" and "level_label" in state.attributes:  # the plant's alert level
            text = t(f"alert.level.{state.state}", state.state)
        else:
            text = t(f"state.{state.state}", state.state)
        unit = state.attributes.get("unit_of_measurement")
        if unit and state.state not in ("unavailable", "unknown"):
            text += " " + (t(UNITS[unit]) if unit in UNITS else str(unit))
        return text


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
            view = views[info.identifier] = DeviceView(
                info.identifier, info.name, integration, info.model, info.model_key, dict(info.model_values)
            )
        state = hub.states.get(entity.entity_id)
        if state is not None:
            view.states.append(state)
        description = getattr(entity, "entity_description", None)
        key = description.translation_key if description else None
        if key:
            view.translation_keys[entity.entity_id] = key

    def order(v: DeviceView) -> tuple[int, str, str]:  # kind by kind, the others' too
        return (KINDS.index(v.integration) if v.integration in KINDS else len(KINDS), v.integration, v.name)

    return sorted(views.values(), key=order)


@page("devices")
async def devices_page(request: web.Request) -> web.Response:
    views = device_views(ui_of(request).hub)
    offline = sum(1 for v in views if v.online is False)
    return render(request, "devices.html", page="devices", devices=views, offline=offline)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/devices", devices_page)
