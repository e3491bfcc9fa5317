"""The demo fleet's register records: what a plant's environmental officer would have entered.

The registered part of the fleet goes into the `vehicles` register through its import service (the
same path as an officer's Excel file), so the demo's decisions rest on a real register; vehicles
marked unregistered stay out and meet the gate as 未备案车辆.
"""

from __future__ import annotations

import logging
import random
from datetime import date, timedelta
from typing import Any

from hub.core import Hub

from .fleet import DemoVehicle

_LOGGER = logging.getLogger(__name__)
_ENGINES = (("WP10.336E53", "潍柴动力股份有限公司"), ("YC6L280-50", "广西玉柴机器股份有限公司"))


def register_record(vehicle: DemoVehicle, rng: random.Random) -> dict[str, Any]:
    """One register row of a registered demo vehicle, in the register's field names."""
    # Older emission stages were sold earlier: registration dates follow the stage.
    first_year = {"3": 2009, "4": 2013, "5": 2017, "6": 2020, "D": 2020}.get(vehicle.emission_stage, 2015)
    registered = date(first_year, 1, 1) + timedelta(days=rng.randrange(0, 3 * 365))
    if vehicle.vehicle_class == "machinery":
        model, maker = rng.choice(_ENGINES)
        return {
            "env_code": vehicle.code, "internal_no": vehicle.code, "machine_type": vehicle.vehicle_type,
            "production_date": registered.isoformat(), "emission_stage": vehicle.emission_stage,
            "fuel": vehicle.fuel, "engine_model": model, "engine_maker": maker,
            "engine_no": f"E{rng.randrange(10**8):08d}", "fleet": vehicle.fleet, "usable": True,
            "rfid_tag": vehicle.rfid_tag,
        }  # fmt: skip
    record = {
        "plate": vehicle.plate, "colour": vehicle.colour, "vehicle_type": vehicle.vehicle_type,
        "vin": vehicle.vin, "registration_date": registered.isoformat(), "fuel": vehicle.fuel,
        "emission_stage": vehicle.emission_stage, "fleet": vehicle.fleet, "kerb_mass_kg": vehicle.tare_kg,
        # 国六 heavy diesel trucks must be connected to the platform (远程排放管理车载终端).
        "network_status": vehicle.fuel == "B" and vehicle.emission_stage == "6",
    }  # fmt: skip
    if vehicle.vehicle_class == "in_plant":  # the register keeps their rated load, not kerb mass
        record["internal_no"] = vehicle.code
        record["rfid_tag"] = vehicle.rfid_tag
        record["rated_load_kg"] = record.pop("kerb_mass_kg") and vehicle.max_load_kg
    return record


async def async_register_fleet(hub: Hub, fleet: list[DemoVehicle], seed: int) -> None:
    """Import the registered fleet into an empty register; a register someone keeps is left alone."""
    if not hub.services.has_service("vehicles", "import"):
        _LOGGER.info("No vehicles register loaded: the demo fleet is not registered")
        return
    rng = random.Random(seed)
    for vclass in ("transport", "in_plant", "machinery"):
        found = await hub.services.async_call("vehicles", "list", {"class": vclass, "page_size": 1})
        if found["total"]:
            continue
        records = [register_record(v, rng) for v in fleet if v.registered and v.vehicle_class == vclass]
        result = await hub.services.async_call("vehicles", "import", {"class": vclass, "records": records})
        if result["rejected"]:
            _LOGGER.warning(
                "Demo register %s: %d rows refused: %s", vclass, result["rejected"], result["errors"][:3]
            )
        _LOGGER.info("Demo register %s: %d vehicles registered", vclass, result["created"])
