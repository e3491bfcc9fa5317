"""Simulated microstations (HJ 212 over TCP) and remote-sensing units (HTTP push), for the demo and tests.

A microstation's series: a weather-driven background (a slow random walk of the air mass), a diurnal
cycle (night-time inversion and the morning rush raise particles and NO2; ozone peaks mid-afternoon), wind
turning slowly, and after each passage a plume whose size depends on the vehicle's emission stage and
fuel, which reaches the station only when the wind blows from the road towards it, and decays over a few
minutes. A remote-sensing unit measures each vehicle passing its lane, drawn from the vehicle's stage
with noise; some readings are invalid (the unit says so) and some have no plate read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

from hub.core import Event, Hub
from hub.core.const import EVENT_PASSAGE_RECORDED
from hub.core.events import PassageRecordedData

from . import hj212
from .config import RemoteSensingSimulator, RemoteSensingUnit, Station, StationSimulator
from .const import FACTOR_BY_KEY

_LOGGER = logging.getLogger(__name__)

# Plume at the fence per passage, PM2.5 µg/m³ and NO2 µg/m³ with the wind straight from the road at
# 2 m/s; by emission stage (diesel). Gas trucks: little PM, NO2 as a 国五 diesel; electric: road dust
# only. Sized so that a plant's 1-3 trucks a minute add a few µg/m³ to the background (the demo sends
# far more, and its fence reads like a busy road).
PLUME_BY_STAGE = {"0": (6, 12), "1": (5.5, 11), "2": (5, 10), "3": (4, 10), "4": (2.5, 6), "5": (1.2, 3.5),
                  "6": (0.4, 1)}  # fmt: skip
PLUME_GAS = (0.3, 3.5)
PLUME_ELECTRIC = (0.2, 0)
PLUME_SECONDS = 90.0  # e-folding time of a plume at the station

# Remote-sensing means by stage (diesel): NO ppm, HC ppm, CO %, opacity %. Orders of magnitude of
# published remote-sensing campaigns in Chinese cities; the demo needs the ordering, not the digits.
RS_BY_STAGE = {
    "0": (1500, 250, 0.25, 30),
    "1": (1400, 220, 0.22, 28),
    "2": (1300, 200, 0.2, 25),
    "3": (1100, 160, 0.15, 20),
    "4": (900, 110, 0.1, 12),
    "5": (600, 70, 0.06, 6),
    "6": (150, 25, 0.02, 1.5),
}
RS_GAS = (500, 300, 0.08, 0.5)
RS_ELECTRIC = (0, 0, 0, 0)


def plume_of(stage: str | None, fuel: str | None) -> tuple[float, float]:
    if stage == "D" or fuel == "C":
        return PLUME_ELECTRIC
    if fuel == "E":
        return PLUME_GAS
    return PLUME_BY_STAGE.get(stage or "", PLUME_BY_STAGE["5"])


def reaches(wind_from: float, bearing_from_road: float) -> float:
    """How much of a plume the wind carries to a station that lies `bearing_from_road` off the road
    (1 straight, 0 when the wind blows the other way)."""
    towards = (wind_from + 180.0) % 360.0  # where the wind blows to
    return max(0.0, math.cos(math.radians(towards - bearing_from_road)))


def diurnal(hour: float) -> float:
    """Particles and NO2 over a day: high at night (inversion) and the morning rush, low mid-afternoon."""
    return (
        1.0 + 0.35 * math.cos(2 * math.pi * (hour - 6.0) / 24.0) + 0.15 * math.exp(-((hour - 8.0) ** 2) / 2)
    )


@dataclass
class _Plume:
    start: float
    pm25: float
    no2: float


class MicrostationSimulator:
    def __init__(self, hub: Hub, conf: Station, options: StationSimulator, host: str, port: int) -> None:
        assert conf.mn and conf.password
        self.hub, self.conf, self.options = hub, conf, options
        self.host, self.port = host, port
        self.rng = random.Random(options.seed)
        self.weather = 1.0  # the air mass: a random walk around 1
        self.wind_from = self.rng.uniform(0, 360)
        self.wind_speed = 2.0
        self.plumes: list[_Plume] = []
        self._minute: list[dict[str, float]] = []
        self._minute_at: int | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.StreamReader | None = None
        self._task: asyncio.Task[None] | None = None
        self._unsub = hub.bus.async_listen(EVENT_PASSAGE_RECORDED, self._on_passage)

    def _on_passage(self, event: Event[PassageRecordedData]) -> None:
        data = event.data
        if data.get("kind") != "passage":
            return
        pm25, no2 = plume_of(data.get("emission_stage"), data.get("fuel"))
        self.plumes.append(_Plume(self.hub.clock.monotonic(), pm25, no2))

    def sample(self) -> dict[str, float]:
        """The station's readings now, by factor key."""
        rng, now = self.rng, self.hub.now()
        self.weather = min(3.0, max(0.3, self.weather * math.exp(rng.gauss(0, 0.02))))
        self.wind_from = (self.wind_from + rng.gauss(0, 8)) % 360
        hour = now.hour + now.minute / 60
        self.wind_speed = max(0.3, 1.5 + 1.5 * math.sin(2 * math.pi * (hour - 9) / 24) + rng.gauss(0, 0.3))
        mono = self.hub.clock.monotonic()
        self.plumes = [p for p in self.plumes if mono - p.start < 6 * PLUME_SECONDS]
        carry = reaches(self.wind_from, self.options.bearing_from_road) * 2.0 / max(self.wind_speed, 0.8)
        plume_pm = sum(p.pm25 * math.exp(-(mono - p.start) / PLUME_SECONDS) for p in self.plumes) * carry
        plume_no2 = sum(p.no2 * math.exp(-(mono - p.start) / PLUME_SECONDS) for p in self.plumes) * carry
        base = self.options.background_pm25 * self.weather * diurnal(hour)
        pm25 = base * rng.uniform(0.95, 1.05) + plume_pm
        o3 = max(5.0, 60 + 70 * math.cos(2 * math.pi * (hour - 15) / 24) - 0.1 * pm25 + rng.gauss(0, 4))
        values = {
            "pm25": pm25,
            "pm10": pm25 * rng.uniform(1.6, 1.9) + 2 * plume_pm,
            "tsp": pm25 * rng.uniform(2.6, 3.2),
            "no2": 25 * self.weather * diurnal(hour) + plume_no2 + rng.gauss(0, 2),
            "so2": 8 * self.weather,
            "co": 0.6 * self.weather * diurnal(hour) + 0.004 * plume_no2,
            "o3": o3,
            "wind_speed": self.wind_speed,
            "wind_direction": self.wind_from,
            "temperature": 8 + 6 * math.sin(2 * math.pi * (hour - 9) / 24),
            "humidity": 55 - 15 * math.sin(2 * math.pi * (hour - 9) / 24),
        }
        decimals = {"co": 2, "wind_speed": 1, "temperature": 1, "humidity": 1}
        return {
            k: round(max(v, 0.0), decimals.get(k, 0 if k == "wind_direction" else 1))
            for k, v in values.items()
            if k in self.conf.factors
        }

    def _packet(self, cn: str, values: Mapping[str, float]) -> bytes:
        now = self.hub.now()
        return hj212.build_data(
            mn=self.conf.mn or "",
            pw=self.conf.password or "",
            cn=cn,
            data_time=now,
            qn=hj212.qn_of(now),
            values={FACTOR_BY_KEY[k].code: (v, "N") for k, v in values.items()},
        )

    async def async_send_now(self) -> None:
        """Send one real-time record (and the last minute's average at a new minute); wait for the answer."""
        values = self.sample()
        packets = [self._packet(hj212.CN_REALTIME, values)]
        minute = int(self.hub.now().timestamp() // 60)
        if (
            self.options.minute_data
            and self._minute_at is not None
            and minute != self._minute_at
            and self._minute
        ):
            avg = {k: round(sum(s[k] for s in self._minute) / len(self._minute), 2) for k in self._minute[0]}
            packets.append(self._packet(hj212.CN_MINUTE, avg))
            self._minute = []
        self._minute_at = minute
        self._minute.append(values)
        if self._writer is None or self._writer.is_closing():
            self._reader, self._writer = await asyncio.wait_for(
                asyncio.open_connection(self.host, self.port), 5
            )
        reader, writer = self._reader, self._writer
        assert reader is not None and writer is not None
        for packet in packets:
            writer.write(packet)
            await writer.drain()
            await asyncio.wait_for(reader.readuntil(b"\r\n"), 5)  # the hub's data reply (CN=9014)

    async def _async_loop(self) -> None:
        while True:
            try:
                await self.async_send_now()
            except (OSError, TimeoutError, asyncio.IncompleteReadError) as err:
                _LOGGER.debug("Simulated microstation %s: %s", self.conf.key, err)
                self._close()
            await asyncio.sleep(self.options.interval_seconds)

    def start(self) -> None:
        self._task = self.hub.async_create_background_task(
            self._async_loop(), name=f"microstation {self.conf.key}"
        )

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def async_stop(self) -> None:
        self._unsub()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait([self._task], timeout=5)
        self._close()


class RemoteSensingSimulatorUnit:
    """Measures each vehicle of its lane's passages and pushes the reading to the hub over HTTP."""

    def __init__(self, hub: Hub, conf: RemoteSensingUnit, options: RemoteSensingSimulator, url: str) -> None:
        self.hub, self.conf, self.options, self.url = hub, conf, options, url
        self.rng = random.Random(options.seed)
        self.sent = 0
        self._session: aiohttp.ClientSession | None = None
        self._unsub = hub.bus.async_listen(EVENT_PASSAGE_RECORDED, self._on_passage)

    def reading(self, passage: Mapping[str, Any]) -> dict[str, Any]:
        rng = self.rng
        stage, fuel = passage.get("emission_stage"), passage.get("fuel")
        means = (
            RS_ELECTRIC
            if stage == "D" or fuel == "C"
            else RS_GAS
            if fuel == "E"
            else RS_BY_STAGE.get(stage or "", RS_BY_STAGE["5"])
        )
        no, hc, co, opacity = (m * rng.lognormvariate(0, 0.35) for m in means)
        valid = rng.random() >= self.options.invalid_share
        plate = passage.get("plate") if rng.random() < self.options.plate_share else None
        return {
            "plate": plate,
            "no_ppm": round(no),
            "hc_ppm": round(hc),
            "co_pct": round(co, 3),
            "co2_pct": round(rng.uniform(8, 12), 2),
            "opacity_pct": round(opacity, 1),
            "ringelmann": 0 if opacity < 10 else 1 if opacity < 25 else 2,
            "speed_kmh": round(rng.uniform(8, 25), 1),
            "accel_ms2": round(rng.gauss(0.3, 0.3), 2),
            "valid": valid,
            "time": self.hub.now().isoformat(timespec="seconds"),
            "lane": passage.get("lane"),
        }

    def _on_passage(self, event: Event[PassageRecordedData]) -> None:
        data = event.data
        if data.get("kind") != "passage" or data.get("direction") == "out":
            return
        if self.conf.gate and (data.get("gate"), data.get("lane")) != (self.conf.gate, self.conf.lane):
            return
        self.hub.async_create_task(
            self.async_send(self.reading(data)), name=f"remote sensing {self.conf.key}"
        )

    async def async_send(self, reading: Mapping[str, Any]) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5))
        try:
            async with self._session.post(
                self.url, json=reading, headers={"Authorization": f"Bearer {self.conf.token}"}
            ) as resp:
                if resp.status == 200:
                    self.sent += 1
                else:
                    _LOGGER.warning(
                        "Simulated remote-sensing unit %s: push answered %s", self.conf.key, resp.status
                    )
        except (aiohttp.ClientError, TimeoutError) as err:
            _LOGGER.warning("Simulated remote-sensing unit %s: push failed: %s", self.conf.key, err)

    async def async_stop(self) -> None:
        self._unsub()
        if self._session is not None:
            await self._session.close()
            self._session = None
