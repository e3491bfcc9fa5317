"""The register of mobile sources (台账基础信息): road transport vehicles, in-plant vehicles and non-road
machinery, with the blacklist, temporary passes, whitelists and every change kept as history.

`vehicles.lookup` answers from memory (the policy calls it on every plate read); all writes go through
the services, are committed with their history (a big import in several short transactions), and fire
`register_changed`.
"""

from __future__ import annotations

import logging

from hub.core import Hub

from .config import VehiclesConfig
from .const import DOMAIN, EVENT_REGISTER_CHANGED
from .fields import VehicleClass
from .register import Register
from .services import register_services

_LOGGER = logging.getLogger(__name__)
CONFIG_SCHEMA = VehiclesConfig

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "EVENT_REGISTER_CHANGED", "Register", "VehicleClass", "async_setup"]


async def async_setup(hub: Hub, config: VehiclesConfig) -> bool:
    register = Register(hub, config)
    await register.async_load()
    hub.data[DOMAIN] = register
    register_services(hub, register)
    return True
