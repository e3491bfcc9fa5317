"""Weighbridge indicators (地磅仪表): the weight on each lane's bridge, and one stable weight per vehicle.

Per lane: `sensor.<gate>_<lane>_weight` (kg), `binary_sensor.<gate>_<lane>_weighbridge_online` and
`binary_sensor.<gate>_<lane>_weighbridge_stuck` (a problem: one load shown without a change).
Event `weight_stable` {gate, lane, weight_kg, at, indicator} once per vehicle; the policy joins it
to the lane's passage. Sources: Modbus TCP, or continuous ASCII frames from a serial port or a
TCP serial server. A bridge with `simulator: true` gets a simulated indicator in-process, which in
the demo weighs the vehicles that the traffic generator sends to its lane.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from hub.core import DeviceInfo, Event, Hub
from hub.core.const import EVENT_VEHICLE_ARRIVED
from hub.core.events import VehicleArrivedData

from .binary_sensor import WeighbridgeOnline, WeighbridgeStuck
from .config import Weighbridge, WeighbridgeConfig
from .const import DOMAIN
from .device import WeighbridgeReader
from .sensor import WeightSensor

_LOGGER = logging.getLogger(__name__)
CONFIG_SCHEMA = WeighbridgeConfig


class WeighbridgeIntegration:
    def __init__(self, hub: Hub, config: WeighbridgeConfig) -> None:
        self.hub = hub
        self.config = config
        self.readers: dict[str, WeighbridgeReader] = {}
        self.simulators: dict[str, Any] = {}  # lane key -> SimulatedIndicator

    async def async_setup(self) -> None:
        for conf in self.config.bridges:
            await self._async_add_bridge(conf)

    async def _async_add_bridge(self, conf: Weighbridge) -> None:
        port = conf.port
        if (options := conf.simulator_config) is not None:
            from .simulator import SimulatedIndicator

            sim = SimulatedIndicator(
                options,
                form="modbus" if conf.source == "modbus" else "tcp",
                fmt=conf.format,
                unit=conf.unit,
                modbus_map=conf.modbus,
                host=conf.host,
                port=port or 0,
                seed=len(self.simulators),
                name=conf.key,
                clock=self.hub.clock,
            )
            port = await sim.async_start()
            self.hub.async_on_stop(sim.async_stop)
            self.simulators[conf.key] = sim

            def on_vehicle(event: Event[VehicleArrivedData], sim: Any = sim) -> None:
                gross = event.data.get("gross_kg")
                if isinstance(gross, int | float) and gross > 0:
                    sim.spawn(sim.async_weigh(gross))

            def at_lane(event: Event[VehicleArrivedData], c: Any = conf) -> bool:
                return bool(event.data.get("gate") == c.gate and event.data.get("lane") == c.lane)

            self.hub.async_on_stop(
                self.hub.bus.async_listen(EVENT_VEHICLE_ARRIVED, on_vehicle, event_filter=at_lane)
            )
        reader = WeighbridgeReader(self.hub, conf, conf.host, port)
        self.readers[conf.key] = reader
        simulated = options is not None
        device = DeviceInfo(
            identifier=f"weighbridge:{conf.key}",
            name=conf.name or f"{conf.gate} {conf.lane} weighbridge",
            manufacturer="EcoGate" if simulated else None,
            model=f"simulated {conf.indicator}" if simulated else conf.indicator,
            model_key="weighbridge_simulated" if simulated else None,  # a real one: as the plant named it
            model_values=(("indicator", conf.indicator),),
        )
        await self.hub.entities.async_add(
            DOMAIN, [cls(reader, device) for cls in (WeightSensor, WeighbridgeOnline, WeighbridgeStuck)]
        )
        task = self.hub.async_create_background_task(reader.async_run(), name=f"weighbridge {conf.key}")

        async def async_stop_reader() -> None:
            # Before its simulator goes (stop steps run in reverse): no "not answering" on the way out.
            task.cancel()
            await asyncio.wait([task], timeout=5)
            reader.async_stop()

        self.hub.async_on_stop(async_stop_reader)


async def async_setup(hub: Hub, config: WeighbridgeConfig) -> bool:
    integration = WeighbridgeIntegration(hub, config)
    hub.data[DOMAIN] = integration
    await integration.async_setup()
    return True
