"""Constants of the air-quality integration: the HJ 212 factor codes it knows, events, timings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from hub.core.const import EVENT_AIR_QUALITY_DATA as EVENT_AIR_QUALITY_DATA
from hub.core.const import EVENT_REMOTE_SENSING_READING as EVENT_REMOTE_SENSING_READING

DOMAIN: Final = "airquality"

# One event per remote-sensing reading (尾气遥感): unit, site, lane, at, plate, the gases, opacity, speed,
# acceleration, valid. The insight component joins it to the passage of the same vehicle.
#
# One event per station record accepted (real-time, minute or hour data): station, mn, kind, data_time,
# values {key: value}, flags {key: flag}. For correlation and flat/out-of-range rules downstream.
# (Both declared in the core: hub/core/events.py RemoteSensingReadingData, AirQualityData.)

# Bad input from one peer is logged once, then summed up at most this often.
BAD_INPUT_LOG_SECONDS: Final = 60.0
# HJ 212 says the data segment is at most 1024 characters; a line longer than this is a flood and the
# connection is cut.
MAX_PACKET_CHARS: Final = 1100


@dataclass(frozen=True, slots=True)
class Factor:
    code: str  # HJ 212-2017 pollutant code (附录 B / HJ 524 air codes)
    key: str  # entity key and the name in events
    name: str
    unit: str
    device_class: str | None = None


# Checked against HJ 212-2017 (附录 B, 空气) and public microstation packets, e.g. a 2011 packet with
# a21005 1.1 (CO mg/m3), a21004 112 (NO2), a21026 58 (SO2), a34004 207 (PM2.5), a34002 295 (PM10),
# a01001 12.6 (deg C), a01002 32 (%RH), a01006 101.02 (kPa), a01007 2.1 (m/s), a01008 120 (deg).
FACTORS: Final = (
    Factor("a34004", "pm25", "PM2.5", "µg/m³", "pm25"),
    Factor("a34002", "pm10", "PM10", "µg/m³", "pm10"),
    Factor("a34001", "tsp", "TSP", "µg/m³"),
    Factor("a21004", "no2", "NO2", "µg/m³", "nitrogen_dioxide"),
    Factor("a21026", "so2", "SO2", "µg/m³", "sulphur_dioxide"),
    Factor("a21005", "co", "CO", "mg/m³"),  # Home Assistant's carbon_monoxide class wants ppm
    Factor("a05024", "o3", "O3", "µg/m³", "ozone"),
    Factor("a01007", "wind_speed", "Wind speed", "m/s", "wind_speed"),
    Factor("a01008", "wind_direction", "Wind direction", "°"),
    Factor("a01001", "temperature", "Temperature", "°C", "temperature"),
    Factor("a01002", "humidity", "Humidity", "%", "humidity"),
    Factor("a01006", "pressure", "Pressure", "kPa", "atmospheric_pressure"),
    Factor("LA", "noise", "Noise", "dBA", "sound_pressure"),
)
FACTOR_BY_CODE: Final = {f.code: f for f in FACTORS}
FACTOR_BY_KEY: Final = {f.key: f for f in FACTORS}
