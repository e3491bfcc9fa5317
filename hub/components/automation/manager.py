"""All automations of the hub: loading, reloading without a restart, on/off kept across restarts."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from hub.core import Context, Hub
from hub.util.files import write_atomic

from .automation import Automation
from .config import AutomationConfig
from .const import DOMAIN, EVENT_AUTOMATION_RELOADED
from .entity import AutomationEntity
from .loading import Loaded, parse, read_configuration
from .passages import EVENTS as PASSAGE_EVENTS
from .passages import PassageBook
from .runtime import Runtime
from .templates import TemplateEngine
from .timers import Timers
from .trace import RunTrace, TraceStore

_LOGGER = logging.getLogger(__name__)
STATES_FILE = "automation_states.json"  # in the data directory: the automations a person turned off


class AutomationManager:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub
        self.rt = Runtime(hub, Timers(hub.clock), TemplateEngine(hub), PassageBook())
        self.traces = TraceStore()
        self.automations: dict[str, Automation] = {}
        self.entities: dict[str, AutomationEntity] = {}
        self.errors: list[str] = []
        self._turned_off: set[str] = set()
        self._unsubs = [hub.bus.async_listen(t, self.rt.passages.note) for t in PASSAGE_EVENTS]

    @property
    def _states_path(self) -> Path:
        return self.hub.data_dir / STATES_FILE

    async def async_start(self, items: list[Any], errors: list[str]) -> None:
        self.rt.timers.start()
        self._turned_off = set(await self.hub.async_add_executor_job(_read_off, self._states_path))
        await self.async_apply(parse(items), errors)

    async def async_stop(self) -> None:
        for unsub in self._unsubs:
            unsub()
        for automation in self.automations.values():
            await automation.async_disable()
        await self.rt.timers.async_stop()

    # ----- loading -------------------------------------------------------------------------------
    async def async_reload(self) -> dict[str, Any]:
        items, errors = await self.hub.async_add_executor_job(read_configuration, self.hub.config_dir)
        if errors:  # the files could not be read at all (a YAML syntax error): keep what runs
            for line in errors:
                _LOGGER.error("Automations not reloaded: %s", line)
            return {"loaded": sorted(self.automations), "started": [], "kept": sorted(self.automations),
                    "errors": errors}  # fmt: skip
        result = await self.async_apply(parse(items), errors)
        self.hub.bus.async_fire(EVENT_AUTOMATION_RELOADED, result)
        return result

    async def async_apply(self, loaded: list[Loaded], errors: list[str]) -> dict[str, Any]:
        """Bring the running automations in line with `loaded`: unchanged ones go on running."""
        self.errors = list(errors)
        wanted: dict[str, Loaded] = {}
        for item in loaded:
            self.errors.extend(item.errors)
            if item.automation_id is not None:
                wanted[item.automation_id] = item
        for line in self.errors:
            _LOGGER.error("Automation not loaded: %s", line)
        kept, started = [], []
        for automation_id in [a for a in self.automations if a not in wanted or wanted[a].config is None
                              or wanted[a].config != self.automations[a].config]:  # fmt: skip
            await self.automations.pop(automation_id).async_disable()
        for automation_id, item in wanted.items():
            entity = await self._async_entity(automation_id, item.config)
            if item.config is None:
                entity.automation, entity.invalid = None, "; ".join(item.errors)
                entity.refresh()
                continue
            if automation_id in self.automations:
                kept.append(automation_id)
                continue
            self._start(automation_id, item.config, entity)
            started.append(automation_id)
        for automation_id in [a for a in self.entities if a not in wanted]:
            await self.hub.entities.async_remove(self.entities.pop(automation_id).entity_id or "")
        return {"loaded": sorted(self.automations), "started": started, "kept": kept, "errors": self.errors}

    async def _async_entity(self, automation_id: str, config: AutomationConfig | None) -> AutomationEntity:
        entity = self.entities.get(automation_id)
        if entity is None or (config is not None and entity.entity_description.name != config.alias):
            if entity is not None and entity.entity_id is not None:
                await self.hub.entities.async_remove(entity.entity_id)
            entity = AutomationEntity(automation_id, config.alias if config is not None else None)
            self.entities[automation_id] = entity
            await self.hub.entities.async_add(DOMAIN, [entity])
        return entity

    def _start(self, automation_id: str, config: AutomationConfig, entity: AutomationEntity) -> None:
        automation = Automation(
            self.rt,
            automation_id,
            config,
            self.traces,
            on_change=entity.refresh,
            on_first_call=self._audit_run,
        )
        if entity.entity_id is not None:
            automation.entity_id = entity.entity_id
        entity.automation, entity.invalid = automation, None
        self.automations[automation_id] = automation
        on = (
            config.initial_state
            if config.initial_state is not None
            else automation_id not in self._turned_off
        )
        if on:
            automation.enable()
        entity.refresh()

    # ----- on, off, by hand ----------------------------------------------------------------------
    def find(self, target: str) -> Automation:
        """By entity id (automation.x) or by automation id (x)."""
        for automation in self.automations.values():
            if target in (automation.entity_id, automation.id):
                return automation
        raise LookupError(f"no automation {target}")

    async def async_set_enabled(self, automation: Automation, on: bool, stop_actions: bool = True) -> None:
        if on:
            automation.enable()
            self._turned_off.discard(automation.id)
        else:
            await automation.async_disable(stop_actions)
            self._turned_off.add(automation.id)
        await self.hub.async_add_executor_job(_write_off, self._states_path, sorted(self._turned_off))

    def _audit_run(self, automation: Automation, trace: RunTrace) -> None:
        """The audit log's row naming the automation behind the service calls of one run (same context)."""
        if not self.hub.services.has_service("ledger", "record_audit"):
            return
        detail = {"automation_id": automation.id, "alias": automation.name, "context_id": trace.context_id,
                  "trigger": trace.trigger.get("description")}  # fmt: skip
        data = {
            "action": "automation.run",
            "door": "automation",
            "target": automation.entity_id,
            "detail": detail,
        }
        self.hub.async_create_task(self._async_audit(data, Context(id=trace.context_id, parent_id=None)))

    async def _async_audit(self, data: dict[str, Any], context: Context) -> None:
        try:
            await self.hub.services.async_call("ledger", "record_audit", data, context)
        except Exception as err:  # the run goes on; the ledger reports its own faults
            _LOGGER.warning("Automation run not in the audit log: %s", err)


def _read_off(path: Path) -> list[str]:
    try:
        return [str(x) for x in json.loads(path.read_text(encoding="utf-8")).get("off", [])]
    except (OSError, ValueError, AttributeError):
        return []


def _write_off(path: Path, off: list[str]) -> None:
    write_atomic(path, json.dumps({"off": off}).encode())
