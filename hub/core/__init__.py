"""The hub core: bus, states, services, registries, configuration, loader, clock, users."""

from .bus import Event, EventBus
from .clock import Clock, ManualClock
from .context import Context
from .entity import DeviceInfo, Entity, EntityDescription
from .errors import ConfigError, HubError, ServiceNotFound, ServiceValidationError, SetupError, Unauthorized
from .hub import Hub, HubState
from .service import ServiceCall
from .state import State

__all__ = [
    "Clock",
    "ConfigError",
    "Context",
    "DeviceInfo",
    "Entity",
    "EntityDescription",
    "Event",
    "EventBus",
    "Hub",
    "HubError",
    "HubState",
    "ManualClock",
    "ServiceCall",
    "ServiceNotFound",
    "ServiceValidationError",
    "SetupError",
    "State",
    "Unauthorized",
]
