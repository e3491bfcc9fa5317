"""Demo traffic: vehicles arrive at the lanes of the demo plant, stay a while inside, then leave.

It only announces `vehicle_arrived`; the simulated devices of each lane (camera, weighbridge) turn
that into what real hardware would produce, so the rest of the hub runs exactly as on a real plant.
Arrivals and stays go by the hub's clock (`hub.clock`), so a test moves a ManualClock through an hour
of traffic in a moment.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import random
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from hub.core import Context, Hub
from hub.core.const import EVENT_VEHICLE_ARRIVED
from hub.core.events import VehicleArrivedData
from hub.core.gate import Direction, LaneRef

from .const import DOMAIN
from .fleet import DemoVehicle, build_fleet
from .register import async_register_fleet

_LOGGER = logging.getLogger(__name__)


class TrafficLane(LaneRef):
    directions: list[Direction] = Field(default_factory=lambda: [Direction.IN, Direction.OUT], min_length=1)
    weight: float = Field(1.0, gt=0)  # share of the traffic
    # Only these vehicle classes use the lane (a machinery lane: in_plant, machinery); a vehicle of a
    # class that some lane names uses only such lanes where it can. Default: every class.
    classes: list[Literal["transport", "in_plant", "machinery"]] | None = None


class TrafficConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rate_per_minute: float = Field(6.0, gt=0, le=600)  # passages a minute, entries and exits
    fleet_size: int = Field(400, ge=10, le=100_000)
    seed: int = 2026
    dwell_seconds: tuple[float, float] = (60.0, 900.0)
    lanes: list[TrafficLane] = Field(min_length=1)
    # Put the registered part of the fleet into an empty `vehicles` register on start.
    register_fleet: bool = True


CONFIG_SCHEMA = TrafficConfig


class TrafficGenerator:
    """Poisson arrivals at the entry lanes; each vehicle leaves through an exit lane when its own dwell
    time is over (one that stays for hours holds no other exit behind it). `rate_per_minute` counts
    passages over all lanes: with exit lanes, half of them are entries."""

    def __init__(self, hub: Hub, config: TrafficConfig) -> None:
        self.hub = hub
        self.config = config
        self.rng = random.Random(config.seed)
        self.fleet = build_fleet(config.fleet_size, config.seed)
        self.entries = [lane for lane in config.lanes if Direction.IN in lane.directions]
        self.exits = [lane for lane in config.lanes if Direction.OUT in lane.directions]
        # Vehicles inside the plant, bounded by the fleet size so memory stays flat for hours.
        self.inside: set[str] = set()
        self.due_out: list[tuple[float, int, DemoVehicle]] = []  # a heap: (when, tie-break, vehicle)
        self._serial = itertools.count()
        self.paused = False  # no vehicle comes or goes meanwhile (a bench ends its traffic so)

    def _pick(self, lanes: list[TrafficLane], vehicle: DemoVehicle) -> TrafficLane:
        own = [lane for lane in lanes if lane.classes and vehicle.vehicle_class in lane.classes]
        lanes = own or [lane for lane in lanes if not lane.classes] or lanes
        return self.rng.choices(lanes, [lane.weight for lane in lanes])[0]

    def _announce(self, vehicle: DemoVehicle, lane: TrafficLane, direction: Direction) -> None:
        # Trucks mostly come in loaded (raw material) and half leave loaded (product).
        loaded = self.rng.random() < (0.7 if direction is Direction.IN else 0.5)
        gross = vehicle.tare_kg + (int(self.rng.uniform(0.6, 1.0) * vehicle.max_load_kg) if loaded else 0)
        self.hub.bus.async_fire(
            EVENT_VEHICLE_ARRIVED,
            VehicleArrivedData(
                gate=lane.gate,
                lane=lane.lane,
                direction=direction.value,
                vehicle=vehicle.as_dict(),
                gross_kg=gross,
            ),
            Context(),
        )

    def _enter(self, now: float) -> None:
        vehicle = self.rng.choice(self.fleet)
        key = vehicle.plate or vehicle.code
        if key in self.inside:
            return
        self._announce(vehicle, self._pick(self.entries, vehicle), Direction.IN)
        self.inside.add(key)
        due = now + self.rng.uniform(*self.config.dwell_seconds)
        heapq.heappush(self.due_out, (due, next(self._serial), vehicle))

    def _leave(self, vehicle: DemoVehicle) -> None:
        self.inside.discard(vehicle.plate or vehicle.code)
        if self.exits:  # without an exit lane it leaves through a gate nobody watches
            self._announce(vehicle, self._pick(self.exits, vehicle), Direction.OUT)

    async def async_run(self) -> None:
        if not self.entries:
            return
        clock = self.hub.clock
        per_second = self.config.rate_per_minute / 60.0 / (2 if self.exits else 1)
        next_entry = clock.monotonic() + self.rng.expovariate(per_second)
        while True:
            if self.paused:
                await clock.async_sleep(0.5)
                next_entry = clock.monotonic() + self.rng.expovariate(per_second)
                continue
            wake = min(next_entry, self.due_out[0][0] if self.due_out else next_entry)
            await clock.async_sleep(max(0.0, wake - clock.monotonic()))
            now = clock.monotonic()
            while self.due_out and self.due_out[0][0] <= now:
                self._leave(heapq.heappop(self.due_out)[2])
            if next_entry <= now:
                next_entry = now + self.rng.expovariate(per_second)
                self._enter(now)


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
