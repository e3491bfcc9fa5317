"""Names of the insight component: events, rules, defaults."""

from __future__ import annotations

from typing import Final

from hub.core.const import EVENT_AIR_QUALITY_DATA as EVENT_AIR_QUALITY_DATA
from hub.core.const import EVENT_REMOTE_SENSING_READING as EVENT_REMOTE_SENSING_READING
from hub.core.const import EventType
from hub.core.events import AnyEventData

DOMAIN: Final = "insight"

# The airquality integration's events that this component reads (EVENT_AIR_QUALITY_DATA,
# EVENT_REMOTE_SENSING_READING) are declared in the core, hub/core/events.py: rooms do not import each other.

# Ours.
# every reading, joined or not
EVENT_READING_JOINED: Final = EventType[AnyEventData]("insight_reading_joined")
EVENT_EXCEEDANCE: Final = EventType[AnyEventData]("insight_exceedance")  # a joined reading over its limit
EVENT_ANOMALY: Final = EventType[AnyEventData]("insight_anomaly")  # {rule, subject, at, summary, detail}

MEASURES: Final = ("no_ppm", "hc_ppm", "co_pct", "opacity_pct")

# rule -> (Chinese name, English name)
RULES: Final = {
    "frequent_vehicle": ("车辆进厂频次异常", "Vehicle entering far more often than its fleet"),
    "night_activity": ("夜间异常通行", "Night-time activity out of pattern"),
    "denied_then_released": ("多次拒绝后放行", "Repeated denials followed by a release"),
    "lane_without_reads": ("车道无车牌识别", "Lane weighing vehicles without plate reads"),
    "station_flat": ("微站数据恒定", "Microstation reading flat"),
    "station_out_of_range": ("微站数据超量程", "Microstation reading out of range"),
    "station_missing": ("微站数据缺失", "Microstation silent"),
    "remote_sensing_exceedance": ("尾气遥感超标", "Remote-sensing exceedance"),
}
