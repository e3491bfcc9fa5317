"""RFID (电子标签) readers: UHF readers that report the tag ids of vehicles and machines in their field.

Per reader: `sensor.<name>_tag`, the last tag seen (attributes tag, antenna, rssi, read_at); unavailable
while the reader is not connected. Bind it as a lane's `rfid` part (docs/lanes.md): at a lane without
a plate camera a tag read is the lane's read, and beside a camera a tag that names another register
entry than the plate sends the passage to the guard (docs/identification.md). Readers over TCP or a
serial port, speaking the generic line protocol or the UHFReader18 binary frame (protocol.py). A reader
with `simulator: true` is simulated in-process; given its `gate` and `lane`, it reports the tag of each
vehicle the demo's traffic sends there (the demo's machinery lane).
"""

from __future__ import annotations

import asyncio
import logging

from hub.core import DeviceInfo, Event, Hub
from hub.core.const import EVENT_VEHICLE_ARRIVED
from hub.core.events import VehicleArrivedData

from .config import Reader, RfidConfig
from .const import DOMAIN
from .reader import RfidReader
from .sensor import RfidTagSensor
from .simulator import SimulatedReader

_LOGGER = logging.getLogger(__name__)
CONFIG_SCHEMA = RfidConfig


class RfidIntegration:
    def __init__(self, hub: Hub, config: RfidConfig) -> None:
        self.hub = hub
        self.config = config
        self.readers: dict[str, RfidReader] = {}
        self.simulators: dict[str, SimulatedReader] = {}

    async def async_setup(self) -> None:
        for conf in self.config.readers:
            await self._async_add_reader(conf)

    async def _async_add_reader(self, conf: Reader) -> None:
        port = conf.port
        if conf.simulator:
            sim = SimulatedReader(conf.protocol, conf.host, port or 0, conf.name)
            port = await sim.async_start()
            self.hub.async_on_stop(sim.async_stop)
            self.simulators[conf.name] = sim
            if conf.gate is not None:
                self._follow_traffic(conf, sim)
        reader = RfidReader(self.hub, conf, conf.host, port)
        self.readers[conf.name] = reader
        device = DeviceInfo(
            identifier=f"rfid:{conf.name}",
            name=f"{conf.name} RFID reader",
            manufacturer="EcoGate" if conf.simulator else None,
            model="simulated UHF reader" if conf.simulator else f"UHF reader ({conf.protocol} protocol)",
            model_key="rfid_simulated" if conf.simulator else "rfid",
            model_values=(("protocol", conf.protocol),),
        )
        await self.hub.entities.async_add(DOMAIN, [RfidTagSensor(reader, device)])
        task = self.hub.async_create_background_task(reader.async_run(), name=f"rfid {conf.name}")

        async def async_stop_reader() -> None:
            task.cancel()
            await asyncio.wait([task], timeout=5)

        self.hub.async_on_stop(async_stop_reader)

    def _follow_traffic(self, conf: Reader, sim: SimulatedReader) -> None:
        def at_lane(event: Event[VehicleArrivedData]) -> bool:
            return event.data.get("gate") == conf.gate and event.data.get("lane") == conf.lane

        def on_vehicle(event: Event[VehicleArrivedData]) -> None:
            tag = event.data.get("vehicle", {}).get("rfid_tag")
            if isinstance(tag, str) and tag:
                self.hub.async_create_background_task(sim.async_present(tag), name=f"rfid {conf.name} tag")

        self.hub.async_on_stop(
            self.hub.bus.async_listen(EVENT_VEHICLE_ARRIVED, on_vehicle, event_filter=at_lane)
        )


async def async_setup(hub: Hub, config: RfidConfig) -> bool:
    integration = RfidIntegration(hub, config)
    hub.data[DOMAIN] = integration
    await integration.async_setup()
    return True
