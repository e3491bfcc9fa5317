"""Admission policy (准入策略): decides each plate read, drives the passage lifecycle, holds the alert level.

A `plate_read` is looked up in the register (`vehicles.lookup`), decided by the rules of the plant's
performance grade at the alert level in force (defaults/grade_*.yaml, changed by `policy.rules`),
committed to the ledger (`ledger.record_passage`, blocking) and only then acted on: `barrier.open`
for allow, `barrier.display` + `barrier.alarm` for deny. `gate_decision` follows. Entities:
`select.plant_alert_level`, `sensor.<gate>_<lane>_decision`. Services: `policy.set_alert_level`,
`policy.release`, `policy.correct_plate`, `policy.confirm_read`.
"""

from __future__ import annotations

from hub.core import Hub

from .config import PolicyConfig
from .const import DOMAIN, EVENT_ALERT_LEVEL_CHANGED
from .manager import PolicyManager
from .services import register

CONFIG_SCHEMA = PolicyConfig

__all__ = ["CONFIG_SCHEMA", "DOMAIN", "EVENT_ALERT_LEVEL_CHANGED", "PolicyManager", "async_setup"]


async def async_setup(hub: Hub, config: PolicyConfig) -> bool:
    manager = PolicyManager(hub, config)
    hub.data[DOMAIN] = manager
    await manager.async_start()
    register(hub, manager)
    hub.async_on_stop(manager.async_stop)
    return True
