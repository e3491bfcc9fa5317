"""Demo traffic: vehicles arrive at the lanes of the demo plant, stay a while inside, then leave.

It only announces `vehicle_arrived`; the simulated devices of each lane (camera, weighbridge) turn
that into what real hardware would produce, so the rest of the hub runs exactly as on a real plant.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque

from pydantic import BaseModel, ConfigDict, Field

from hub.core import Context, Hub
from hub.core.const import EVENT_VEHICLE_ARRIVED
from hub.core.gate import Direction, LaneRef

from .const import DOMAIN
from .fleet import DemoVehicle, build_fleet
from .register import async_register_fleet

_LOGGER = logging.getLogger(__name__)


class TrafficLane(LaneRef):
    directions: list[Direction] = Field(default_factory=lambda: [Direction.IN, Direction.OUT], min_length=1)
    weight: float = Field(1.0, gt=0)  # share of the traffic


class TrafficConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate_per_minute: float = Field(6.0, gt=0, le=600)
    fleet_size: int = Field(400, ge=10, le=100_000)
    seed: int = 2026
    dwell_seconds: tuple[float, float] = (60.0, 900.0)
    lanes: list[TrafficLane] = Field(min_length=1)
    # Put the registered part of the fleet into an empty `vehicles` register on start.
    register_fleet: bool = True


CONFIG_SCHEMA = TrafficConfig


class TrafficGenerator:
    """Poisson arrivals. A vehicle that entered leaves after its dwell time through an exit lane."""

    def __init__(self, hub: Hub, config: TrafficConfig) -> None:
        self.hub = hub
        self.config = config
        self.rng = random.Random(config.seed)
        self.fleet = build_fleet(config.fleet_size, config.seed)
        self.entries = [lane for lane in config.lanes if Direction.IN in lane.directions]
        self.exits = [lane for lane in config.lanes if Direction.OUT in lane.directions]
        # Vehicles inside the plant, bounded by the fleet size so memory stays flat for hours.
        self.inside: dict[str, float] = {}
        self.due_out: deque[tuple[float, DemoVehicle]] = deque()

    def _pick(self, lanes: list[TrafficLane]) -> TrafficLane:
        return self.rng.choices(lanes, [lane.weight for lane in lanes])[0]

    def _announce(self, vehicle: DemoVehicle, lane: TrafficLane, direction: Direction) -> None:
        # Trucks mostly come in loaded (raw material) and half leave loaded (product).
        loaded = self.rng.random() < (0.7 if direction is Direction.IN else 0.5)
        gross = vehicle.tare_kg + (int(self.rng.uniform(0.6, 1.0) * vehicle.max_load_kg) if loaded else 0)
        self.hub.bus.async_fire(
            EVENT_VEHICLE_ARRIVED,
            {
                "gate": lane.gate,
                "lane": lane.lane,
                "direction": direction.value,
                "vehicle": vehicle.as_dict(),
                "gross_kg": gross,
            },
            Context(),
        )

    async def async_run(self) -> None:
        loop = asyncio.get_running_loop()
        per_second = self.config.rate_per_minute / 60.0
        while True:
            await asyncio.sleep(self.rng.expovariate(per_second))
            now = loop.time()
            if self.exits and self.due_out and self.due_out[0][0] <= now and self.rng.random() < 0.5:
                _, vehicle = self.due_out.popleft()
                self.inside.pop(vehicle.plate or vehicle.code, None)
                self._announce(vehicle, self._pick(self.exits), Direction.OUT)
                continue
            if not self.entries:
                continue
            vehicle = self.rng.choice(self.fleet)
            key = vehicle.plate or vehicle.code
            if key in self.inside:
                continue
            self._announce(vehicle, self._pick(self.entries), Direction.IN)
            self.inside[key] = now
            self.due_out.append((now + self.rng.uniform(*self.config.dwell_seconds), vehicle))


async def async_setup(hub: Hub, config: TrafficConfig) -> bool:
    generator = TrafficGenerator(hub, config)
    hub.data[DOMAIN] = generator
    if config.register_fleet:
        # Registered before the first vehicle arrives, once the register has loaded.
        await async_register_fleet(hub, generator.fleet, config.seed)
    hub.async_create_background_task(generator.async_run(), name="traffic generator")
    _LOGGER.info(
        "Demo traffic: %.1f vehicles/min over %d lanes, fleet of %d",
        config.rate_per_minute,
        len(config.lanes),
        len(generator.fleet),
    )
    return True
