"""Entity and device registries: identity that survives restarts, kept in the database."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .entity import DeviceInfo, Entity
from .models import DeviceRow, EntityRow
from .state import valid_entity_id

if TYPE_CHECKING:
    from .hub import Hub

_LOGGER = logging.getLogger(__name__)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9_]+", "_", text.lower()).strip("_") or "unnamed"


class DeviceRegistry:
    def __init__(self) -> None:
        self._devices: dict[str, DeviceRow] = {}

    async def async_load(self) -> None:
        self._devices = {row.id: row for row in await DeviceRow.all()}

    async def async_get_or_create(self, integration: str, info: DeviceInfo) -> DeviceRow:
        row = self._devices.get(info.identifier)
        if row is None:
            row = await DeviceRow.create(
                id=info.identifier,
                integration=integration,
                name=info.name,
                manufacturer=info.manufacturer,
                model=info.model,
            )
            self._devices[row.id] = row
        return row

    def get(self, device_id: str) -> DeviceRow | None:
        return self._devices.get(device_id)

    def all(self) -> list[DeviceRow]:
        return list(self._devices.values())


class EntityRegistry:
    """(integration, unique_id) -> entity_id, and the live entity objects of this run."""

    def __init__(self, hub: Hub) -> None:
        self._hub = hub
        self._rows: dict[tuple[str, str], EntityRow] = {}
        self._live: dict[str, Entity] = {}

    async def async_load(self) -> None:
        self._rows = {(row.platform, row.unique_id): row for row in await EntityRow.all()}

    def get_entity(self, entity_id: str) -> Entity | None:
        return self._live.get(entity_id)

    def entities(self) -> list[Entity]:
        return list(self._live.values())

    def entry_for(self, integration: str, unique_id: str) -> EntityRow | None:
        return self._rows.get((integration, unique_id))

    def _free_entity_id(self, domain: str, object_id: str) -> str:
        taken = {row.entity_id for row in self._rows.values()}
        base = f"{domain}.{slugify(object_id)}"
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        return candidate

    async def async_add(self, integration: str, entities: Iterable[Entity]) -> list[Entity]:
        """Give each entity its lasting entity_id, attach it to the hub and publish its first state."""
        added = []
        for entity in entities:
            key = (integration, entity.unique_id)
            row = self._rows.get(key)
            if row is None:
                entity_id = self._free_entity_id(entity.domain, entity.suggested_object_id)
                device = entity.device_info
                if device is not None:
                    await self._hub.devices.async_get_or_create(integration, device)
                row = await EntityRow.create(
                    platform=integration,
                    unique_id=entity.unique_id,
                    entity_id=entity_id,
                    device_id=device.identifier if device else None,
                    name=entity.name,
                )
                self._rows[key] = row
            if row.disabled:
                continue
            if row.entity_id in self._live:
                _LOGGER.error("%s: entity %s is added twice; ignoring the second", integration, row.entity_id)
                continue
            assert valid_entity_id(row.entity_id)
            entity.hub, entity.entity_id = self._hub, row.entity_id
            self._live[row.entity_id] = entity
            await entity.async_added_to_hub()
            entity.async_write_state()
            added.append(entity)
        return added

    async def async_rename(self, old_entity_id: str, new_entity_id: str) -> None:
        """A person may rename an entity; its unique_id (and so its history) stays."""
        if not valid_entity_id(new_entity_id) or new_entity_id.split(".")[0] != old_entity_id.split(".")[0]:
            raise ValueError(f"cannot rename {old_entity_id} to {new_entity_id}")
        row = next((r for r in self._rows.values() if r.entity_id == old_entity_id), None)
        if row is None:
            raise ValueError(f"no entity {old_entity_id}")
        if any(r.entity_id == new_entity_id for r in self._rows.values()):
            raise ValueError(f"{new_entity_id} is taken")
        row.entity_id = new_entity_id
        await row.save(update_fields=["entity_id"])
        entity = self._live.pop(old_entity_id, None)
        if entity is not None:
            self._hub.states.async_remove(old_entity_id)
            entity.entity_id = new_entity_id
            self._live[new_entity_id] = entity
            entity.async_write_state()

    async def async_remove(self, entity_id: str) -> bool:
        """Take one live entity off the hub (its state goes; its registry row, so its id, stays)."""
        entity = self._live.pop(entity_id, None)
        if entity is None:
            return False
        try:
            await entity.async_will_remove_from_hub()
        except Exception:
            _LOGGER.exception("Removing %s failed", entity_id)
        entity.async_call_on_remove()
        self._hub.states.async_remove(entity_id)
        return True

    async def async_remove_all(self) -> None:
        for entity in list(self._live.values()):
            try:
                await entity.async_will_remove_from_hub()
            except Exception:
                _LOGGER.exception("Removing %s failed", entity.entity_id)
            entity.async_call_on_remove()
        self._live.clear()
