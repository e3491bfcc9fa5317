"""The register's word on a plate (`vehicles.lookup`), within the policy's time budget."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from hub.core import Context, ServiceValidationError

from .const import VEHICLE_CLASSES
from .decide import Read, Vehicle

if TYPE_CHECKING:
    from hub.core import Hub

_LOGGER = logging.getLogger(__name__)
_SNAPSHOT_LIMITS = {"emission_stage": 4, "fuel": 4, "fleet": 100}


class RegisterLookup:
    def __init__(self, hub: Hub, timeout: float, warn_once: Callable[..., None]) -> None:
        self.hub = hub
        self.timeout = timeout
        self.warn_once = warn_once

    async def async_lookup(self, read: Read, context: Context) -> tuple[Mapping[str, Any] | None, bool]:
        """The register's record of the plate: (record or None, whether the lookup failed)."""
        if not read.plate:
            return None, False
        if not self.hub.services.has_service("vehicles", "lookup"):
            self.warn_once("vehicles", "Policy: no vehicles register loaded; every vehicle is unregistered")
            return None, False
        if context.user_id is not None:  # a guard's correction: the hub asks, on its behalf
            context = Context(parent_id=context.id)
        query = {"plate": read.plate}
        if read.colour != "unknown":  # the register flags a colour that differs from its record
            query["colour"] = read.colour
        try:
            async with asyncio.timeout(self.timeout):
                record = await self.hub.services.async_call("vehicles", "lookup", query, context)
        except ServiceValidationError as err:
            _LOGGER.info("Policy: register refused %s: %s", query, err)  # not a plate it can hold
            return None, False
        except Exception as err:
            _LOGGER.warning("Policy: register lookup of %s failed: %s", read.plate, err)
            return None, True
        if record is not None and not isinstance(record, Mapping):
            _LOGGER.warning(
                "Policy: register returned %r for %s; treated as a failed lookup", record, read.plate
            )
            return None, True
        return record, False

    def vehicle_of(self, record: Mapping[str, Any] | None) -> Vehicle | None:
        if record is None:
            return None
        vehicle = Vehicle.from_lookup(record)
        if vehicle.vehicle_class not in VEHICLE_CLASSES:
            self.warn_once(
                f"class:{vehicle.vehicle_class}", "Policy: register class %r unknown", vehicle.vehicle_class
            )
            vehicle = replace(vehicle, vehicle_class="unknown")
        return vehicle


def snapshot(record: Mapping[str, Any] | None) -> dict[str, Any]:
    """The register's record as the ledger keeps it with the passage: JSON-safe, within its limits."""
    if record is None:
        return {"registered": False}
    out: dict[str, Any] = {"registered": True}
    for key, value in record.items():
        if key in ("images", "photos") or isinstance(value, bytes | bytearray):
            continue
        if value is None or isinstance(value, bool | int | float):
            out[str(key)] = value
        elif isinstance(value, Mapping):
            out[str(key)] = {
                str(k): v if isinstance(v, bool | int | float | None) else str(v)[:200]
                for k, v in value.items()
            }
        else:
            out[str(key)] = str(value)[: _SNAPSHOT_LIMITS.get(str(key), 200)]
    for key in ("emission_stage", "fuel"):
        if isinstance(out.get(key), str):
            out[key] = out[key].upper()
    return out
