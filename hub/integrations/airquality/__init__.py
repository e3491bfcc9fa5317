"""Air-quality microstations (微站) and exhaust remote-sensing units (尾气遥感).

Per station and factor `sensor.aq_<station>_<factor>` (PM2.5, PM10, TSP, NO2, SO2, CO, O3, wind,
temperature, humidity; attributes station, MN, data_time, flag), unavailable once the station is silent
for `silence_seconds` (monotonic clock); event `air_quality_data` per record. Stations speak HJ 212 to
the hub's TCP server (server.py), answer Modbus TCP (poller.py), or push JSON over MQTT or HTTP
(ingest.py, push.py, one field map for both). Remote-sensing units push a reading per vehicle over HTTP
or MQTT: event `remote_sensing_reading` and `sensor.rs_<unit>_<measure>` of the last reading. Stations
and units with `simulator:` are simulated in-process (simulator.py). See docs/airquality.md.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from typing import Any

from hub.core import DeviceInfo, Entity, Hub
from hub.core.const import EVENT_HUB_STARTED

from .config import AirQualityConfig
from .const import DOMAIN
from .ingest import MqttDoor, StationFieldMap
from .poller import ModbusStationPoller
from .push import PushDoor
from .remote import RemoteSensingData
from .sensor import RS_SENSORS, FactorSensor, RemoteSensingSensor
from .server import Hj212Listener
from .station import StationData

_LOGGER = logging.getLogger(__name__)
CONFIG_SCHEMA = AirQualityConfig
SILENCE_CHECK_SECONDS = 5.0  # how soon a silent station shows unavailable after its silence_seconds


class AirQualityIntegration:
    def __init__(self, hub: Hub, config: AirQualityConfig) -> None:
        self.hub = hub
        self.config = config
        self.stations = {s.key: StationData(hub, s) for s in config.stations}
        self.units = {u.key: RemoteSensingData(hub, u) for u in config.remote_sensing}
        self.hj212: Hj212Listener | None = None
        self.push: PushDoor | None = None
        self.simulators: dict[str, Any] = {}

    async def async_setup(self) -> None:
        hub = self.hub
        entities: list[Entity] = []
        for station in self.stations.values():
            conf = station.conf
            device = DeviceInfo(
                identifier=f"airquality:{conf.key}",
                name=station.name,
                manufacturer="EcoGate" if conf.simulator else None,
                model="simulated microstation" if conf.simulator else f"microstation ({conf.source})",
                model_key="microstation_simulated" if conf.simulator else "microstation",
                model_values=(("source", conf.source),),
            )
            entities += [FactorSensor(station, key, device) for key in conf.factors]
        for unit in self.units.values():
            device = DeviceInfo(
                identifier=f"remote_sensing:{unit.key}",
                name=unit.name,
                manufacturer="EcoGate" if unit.conf.simulator else None,
                model="simulated remote-sensing unit" if unit.conf.simulator else "remote-sensing unit",
                model_key="remote_sensing_simulated" if unit.conf.simulator else "remote_sensing",
            )
            entities += [RemoteSensingSensor(unit, m, device) for m in (*RS_SENSORS, None)]
        await hub.entities.async_add(DOMAIN, entities)

        by_source: dict[str, list[StationData]] = {}
        for station in self.stations.values():
            by_source.setdefault(station.conf.source, []).append(station)
        if by_source.get("hj212"):
            self.hj212 = Hj212Listener(
                hub, self.config.hj212, {s.conf.mn or "": s for s in by_source["hj212"]}
            )
            await self.hj212.async_start()
            hub.async_on_stop(self.hj212.async_stop)
        for station in by_source.get("modbus", []):
            poller = ModbusStationPoller(station)
            task = hub.async_create_background_task(poller.async_run(), name=f"microstation {station.key}")
            hub.async_on_stop(functools.partial(_async_cancel, task))
        fmaps = [StationFieldMap(s) for s in by_source.get("mqtt", []) + by_source.get("http", [])]
        pushed_units = {k: u for k, u in self.units.items() if u.conf.source == "http"}
        if by_source.get("http") or pushed_units:
            http_maps = {f.station.key: f for f in fmaps if f.station.conf.source == "http"}
            self.push = PushDoor(hub, self.config.push, http_maps, pushed_units)
            await self.push.async_start()
            hub.async_on_stop(self.push.async_stop)
        mqtt = MqttDoor(hub, fmaps, list(self.units.values()))
        if mqtt.wanted:
            # The mqtt integration sets up after this one (its after_dependencies): subscribe once all run.
            hub.async_on_stop(hub.bus.async_listen_once(EVENT_HUB_STARTED, lambda _e: mqtt.async_subscribe()))
            hub.async_on_stop(mqtt.async_stop)
        self._watch_silence()
        await self._async_start_simulators()

    def _watch_silence(self) -> None:
        def check() -> None:
            for station in self.stations.values():
                station.async_check_silence()

        async def run() -> None:
            while True:
                await self.hub.clock.async_sleep(SILENCE_CHECK_SECONDS)
                check()

        task = self.hub.async_create_background_task(run(), name="microstation silence")
        self.hub.async_on_stop(functools.partial(_async_cancel, task))
        self.hub.async_on_stop(self.hub.clock.add_listener(check))  # a ManualClock moved by hand

    async def _async_start_simulators(self) -> None:
        from .simulator import MicrostationSimulator, RemoteSensingSimulatorUnit

        for station in self.stations.values():
            if (options := station.conf.simulator_config) is not None and self.hj212 is not None:
                host = _reachable(self.config.hj212.host)
                sim = MicrostationSimulator(self.hub, station.conf, options, host, self.hj212.port)
                self.simulators[station.key] = sim
                self.hub.async_on_stop(sim.async_stop)
                sim.start()
        for unit in self.units.values():
            if (rs_options := unit.conf.simulator_config) is not None and self.push is not None:
                host = _reachable(self.config.push.host)
                where = f"[{host}]" if ":" in host else host
                url = f"http://{where}:{self.push.port}/api/airquality/remote_sensing/{unit.key}"
                rs = RemoteSensingSimulatorUnit(self.hub, unit.conf, rs_options, url)
                self.simulators[unit.key] = rs
                self.hub.async_on_stop(rs.async_stop)


def _reachable(host: str) -> str:
    """Where an in-process simulator reaches a server bound to `host` (any address: loopback)."""
    if host in ("", "0.0.0.0", "::"):
        return "127.0.0.1"
    return host


async def _async_cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    await asyncio.wait([task], timeout=5)


async def async_setup(hub: Hub, config: AirQualityConfig) -> bool:
    integration = AirQualityIntegration(hub, config)
    hub.data[DOMAIN] = integration
    await integration.async_setup()
    return True
