"""The entity base class: a device's point of view that describes itself."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .const import STATE_UNAVAILABLE, STATE_UNKNOWN
from .context import Context

# What an entity may report; the state machine keeps it as text (HA's StateType).
StateType = str | int | float | None

if TYPE_CHECKING:
    from .hub import Hub

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True, slots=True)
class EntityDescription:
    """What an entity is, fixed by the integration: its key within the device, name, class, unit."""

    key: str
    name: str | None = None  # English; the UI translates by translation_key
    translation_key: str | None = None
    device_class: str | None = None
    unit_of_measurement: str | None = None
    icon: str | None = None
    entity_category: str | None = None  # None, "diagnostic" or "config"


@dataclass(frozen=True, kw_only=True, slots=True)
class DeviceInfo:
    identifier: str  # stable, e.g. "barrier:east_gate_in"
    name: str
    manufacturer: str | None = None
    model: str | None = None  # English, as the integration or the plant wrote it
    # An integration's own model, translated by the UI (`devices.model.<model_key>`, with these values);
    # None for a model the plant configured, shown as written.
    model_key: str | None = None
    model_values: tuple[tuple[str, str], ...] = ()


class Entity:
    """Base of every entity.

    `domain` is the platform (sensor, cover, binary_sensor, select ...). `unique_id` is the device
    id plus the description key and never changes; the registry turns it into an `entity_id` that
    stays the same across restarts. `available` means "the last fetch from the device worked".
    """

    domain: str = "sensor"
    entity_description: EntityDescription
    hub: Hub | None = None
    entity_id: str | None = None
    _attr_available: bool = True
    _attr_device_info: DeviceInfo | None = None
    _on_remove: list[Callable[[], None]] | None = None

    @property
    def unique_id(self) -> str:
        device = self._attr_device_info
        prefix = device.identifier if device else type(self).__name__.lower()
        return f"{prefix}-{self.entity_description.key}"

    @property
    def suggested_object_id(self) -> str:
        return self.entity_description.key

    @property
    def name(self) -> str | None:
        return self.entity_description.name

    @property
    def device_info(self) -> DeviceInfo | None:
        return self._attr_device_info

    @property
    def available(self) -> bool:
        return self._attr_available

    @property
    def state(self) -> StateType:
        return None

    @property
    def extra_state_attributes(self) -> Mapping[str, Any] | None:
        return None

    def state_attributes(self) -> dict[str, Any]:
        desc = self.entity_description
        attrs: dict[str, Any] = dict(self.extra_state_attributes or {})
        for key, value in (
            ("friendly_name", desc.name),
            ("device_class", desc.device_class),
            ("unit_of_measurement", desc.unit_of_measurement),
            ("icon", desc.icon),
        ):
            if value is not None:
                attrs[key] = value
        return attrs

    def async_write_state(self, context: Context | None = None) -> None:
        """Publish the current state; `unavailable` when the device does not answer."""
        if self.hub is None or self.entity_id is None:
            raise RuntimeError(f"{type(self).__name__} is not added to a hub yet")
        if not self.available:
            value = STATE_UNAVAILABLE
        else:
            state = self.state
            value = STATE_UNKNOWN if state is None else str(state)
        self.hub.states.async_set(self.entity_id, value, self.state_attributes(), context)

    def async_set_available(self, available: bool, context: Context | None = None) -> None:
        if available != self._attr_available:
            self._attr_available = available
            if self.entity_id is not None:
                self.async_write_state(context)

    async def async_added_to_hub(self) -> None:
        """Called once the entity has its id; subscribe to things here."""

    async def async_will_remove_from_hub(self) -> None:
        """Called on hub stop; release what async_added_to_hub took."""

    def async_on_remove(self, func: Callable[[], None]) -> None:
        """Run `func` when the entity is removed or the hub stops: give it the unsubscribe callables
        that async_added_to_hub got, instead of keeping them (HA's Entity.async_on_remove)."""
        if self._on_remove is None:
            self._on_remove = []
        self._on_remove.append(func)

    def async_call_on_remove(self) -> None:
        """Run the async_on_remove callables, last added first (the entity registry calls this)."""
        while self._on_remove:
            func = self._on_remove.pop()
            try:
                func()
            except Exception:
                _LOGGER.exception("%s: a remove callback failed", self.entity_id)
