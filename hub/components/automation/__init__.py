"""Automations in YAML, Home Assistant's schema: the wiring of a plant without Node-RED.

`automation:` in configuration.yaml is a list of automations (inline, `!include automations.yaml`
or `!include_dir_merge_list automations/`); left empty it is `automations.yaml` beside
configuration.yaml. Each automation has triggers (state, numeric_state, event, time, time_pattern,
mqtt, passage), conditions (state, numeric_state, time, template, trigger, and/or/not) and actions
(service, delay, wait_for_trigger, choose, if/then/else, repeat, event, stop, variables, condition)
with Jinja2 templates in a sandbox, a mode (single, restart, queued, parallel) and run traces.
Entities `automation.<id>`; services automation.turn_on/turn_off/toggle/trigger/reload/trace/list.
See docs/automations.md.
"""

from __future__ import annotations

from typing import Any

from hub.core import Hub

from .const import DOMAIN
from .loading import read_section
from .manager import AutomationManager
from .services import register

# No CONFIG_SCHEMA on purpose: the hub refuses to start on a section that does not validate, and
# one automation's mistake must not stop the others. Each automation is validated alone in
# loading.py, with the same file:line: key messages.
CONFIG_SCHEMA = None

__all__ = ["DOMAIN", "AutomationManager", "async_setup"]


async def async_setup(hub: Hub, config: Any) -> bool:
    manager = AutomationManager(hub)
    hub.data[DOMAIN] = manager
    items, errors = await hub.async_add_executor_job(read_section, hub.config_dir, config)
    register(hub, manager)
    await manager.async_start(items, errors)
    hub.async_on_stop(manager.async_stop)
    return True
