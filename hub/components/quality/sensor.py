"""`sensor.quality_<rule>`: open findings of each rule; `sensor.quality_open_findings`: all of them,
with the last run's summary in its attributes (the daily summary a dashboard shows)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.core import DeviceInfo, Entity, EntityDescription

from .const import RULES

DEVICE = DeviceInfo(identifier="quality:plant", name="数据质量 Data quality")


class OpenFindings(Entity):
    domain = "sensor"
    _attr_device_info = DEVICE

    def __init__(self, rule: str | None, severity: str | None) -> None:
        key = f"quality_{rule}" if rule else "quality_open_findings"
        name = RULES[rule][2] if rule else "Open data-quality findings"
        self.entity_description = EntityDescription(
            key=key, name=name, translation_key=key, unit_of_measurement="findings",
            icon="mdi:clipboard-alert-outline",
        )  # fmt: skip
        self.rule = rule
        self.severity = severity
        self.value = 0
        self.summary: dict[str, Any] | None = None

    @property
    def state(self) -> str:
        return str(self.value)

    @property
    def extra_state_attributes(self) -> Mapping[str, Any]:
        if self.rule is None:
            last = self.summary or {}
            return {"last_run": {k: last.get(k) for k in ("period", "found", "new", "open", "seconds")}}
        return {"rule": self.rule, "name_zh": RULES[self.rule][1], "severity": self.severity}


class QualitySensors:
    def __init__(self, severities: dict[str, str]) -> None:
        self.by_rule = {rule: OpenFindings(rule, severities[rule]) for rule in RULES}
        self.total = OpenFindings(None, None)

    @property
    def entities(self) -> list[OpenFindings]:
        return [self.total, *self.by_rule.values()]

    def update(self, open_counts: Mapping[str, int], summary: dict[str, Any] | None = None) -> None:
        for rule, entity in self.by_rule.items():
            entity.value = int(open_counts.get(rule, 0))
        self.total.value = sum(int(v) for v in open_counts.values())
        if summary is not None:
            self.total.summary = summary
        for entity in self.entities:
            if entity.entity_id is not None:
                entity.async_write_state()
