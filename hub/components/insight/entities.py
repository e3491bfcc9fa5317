"""`binary_sensor.insight_<rule>` (problem): on while the rule raised something within `hold_minutes`;
`sensor.insight_flagged_vehicles`: vehicles with a remote-sensing exceedance in the last 30 days."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import DeviceInfo, Entity, EntityDescription

from .const import RULES

MAX_LISTED = 50  # an attribute is no report: insight.flagged has them all

DEVICE = DeviceInfo(identifier="insight:plant", name="遥感关联与异常 Insight")


class AnomalySensor(Entity):
    domain = "binary_sensor"
    _attr_device_info = DEVICE

    def __init__(self, rule: str) -> None:
        self.rule = rule
        self.entity_description = EntityDescription(
            key=f"insight_{rule}", name=RULES[rule][1], translation_key=f"insight_{rule}",
            device_class="problem", icon="mdi:alert-decagram-outline",
        )  # fmt: skip
        self.last_ts: float | None = None
        self.last: dict[str, Any] = {}
        self.raised = 0
        self.on = False

    @property
    def state(self) -> str:
        return "on" if self.on else "off"

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {"rule": self.rule, "name_zh": RULES[self.rule][0], "raised": self.raised, **self.last}


class FlaggedVehicles(Entity):
    domain = "sensor"
    _attr_device_info = DEVICE
    entity_description = EntityDescription(
        key="insight_flagged_vehicles", name="Vehicles flagged by remote sensing",
        translation_key="insight_flagged_vehicles", unit_of_measurement="vehicles", icon="mdi:smoke",
    )  # fmt: skip

    def __init__(self) -> None:
        self.vehicles = 0
        self.carriers: list[str] = []
        self.plates: list[str] = []  # the most flagged first, at most MAX_LISTED

    @property
    def state(self) -> int:
        return self.vehicles

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        return {"carriers": self.carriers, "plates": self.plates}
