"""The `quality:` section: when the daily run happens, and each rule's switch, severity and thresholds.

Every threshold is a plant's choice (spec: the Hubei guide lists the pitfalls, not the numbers), so each
has a default that a plant of the issue's size lives with and can be changed here.
"""

from __future__ import annotations

import re
from datetime import date, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .const import RULES

Severity = Literal["info", "warning", "error"]
LANE = re.compile(r"^[A-Za-z0-9_]{1,32}/[A-Za-z0-9_]{1,32}$")


class RuleSwitch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    severity: Severity | None = None  # None: the rule's own (const.RULES)


class CargoBounds(BaseModel):
    """Plausible tonnes a truck carries of one cargo (a loaded heavy truck: up to 49 t gross)."""

    model_config = ConfigDict(extra="forbid")

    min_t: float = Field(0, ge=0, le=200)
    max_t: float = Field(49, gt=0, le=200)


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lookback_hours: float = Field(48, gt=0, le=24 * 14)  # how far back an exit looks for its entry
    reverse_minutes: float = Field(120, gt=0, le=24 * 60)  # an entry this soon after an exit: swapped
    min_trip_minutes: float = Field(3, ge=0, le=24 * 60)  # in and out faster than this: implausible
    max_trips_per_day: int = Field(12, ge=1, le=1000)
    repeat_seconds: float = Field(120, gt=0, le=3600)  # the same plate on the same lane again within
    weighbridge_lanes: list[str] = Field(default_factory=list)  # "gate/lane"; lanes seen weighing count too
    cargo: dict[str, CargoBounds] = Field(default_factory=dict)  # 货物名称 -> plausible tonnes
    max_clock_skew_seconds: float = Field(60, gt=0, le=86_400)
    working_hours: str = "06:00-22:00"  # plant time; a lane silent longer than max_gap_minutes inside
    max_gap_minutes: float = Field(120, gt=0, le=24 * 60)
    lanes: list[str] = Field(default_factory=list)  # "gate/lane" watched for gaps; default: lanes seen
    max_backlog: int = Field(0, ge=0)  # unacknowledged records of a past day above this are a finding
    backlog_grace_hours: float = Field(2, ge=0, le=72)  # a day's records get this long after midnight
    # Earliest plausible registration date per stage (国六 before 2019 is a typing error or a fake list).
    stage_earliest: dict[str, date] = Field(
        default_factory=lambda: {
            "6": date(2019, 1, 1), "5": date(2013, 1, 1), "4": date(2007, 1, 1), "3": date(2005, 1, 1),
        }
    )  # fmt: skip
    # Latest plausible registration date per stage (a new 国三 truck after 2015 cannot be registered).
    stage_latest: dict[str, date] = Field(
        default_factory=lambda: {
            "0": date(2001, 12, 31), "1": date(2005, 12, 31), "2": date(2008, 12, 31),
            "3": date(2015, 12, 31),
        }
    )  # fmt: skip
    in_plant_plate_patterns: list[str] = Field(default_factory=list)  # regexes of in-plant numbers

    @field_validator("weighbridge_lanes", "lanes")
    @classmethod
    def _lanes(cls, value: list[str]) -> list[str]:
        for lane in value:
            if not LANE.match(lane):
                raise ValueError(f"{lane!r}: a lane is written gate/lane")
        return value

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        working_hours(value)
        return value

    @field_validator("in_plant_plate_patterns")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as err:
                raise ValueError(f"{pattern!r}: {err}") from None
        return value


def working_hours(text: str) -> tuple[time, time]:
    try:
        first, last = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError("working hours are written HH:MM-HH:MM") from None
    if first >= last:
        raise ValueError("working hours must start before they end (HH:MM-HH:MM within a day)")
    return first, last


class QualityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    daily_at: time = time(1, 30)  # plant time: yesterday is checked then
    check_seconds: float = Field(30, gt=0, le=3600)  # how often the schedule is looked at
    rules: dict[str, RuleSwitch] = Field(default_factory=dict)
    thresholds: Thresholds = Field(default_factory=lambda: Thresholds.model_validate({}))

    @model_validator(mode="after")
    def _known_rules(self) -> QualityConfig:
        unknown = sorted(set(self.rules) - set(RULES))
        if unknown:
            raise ValueError(f"unknown rule(s) {', '.join(unknown)}; rules: {', '.join(RULES)}")
        return self

    def enabled(self, rule: str) -> bool:
        switch = self.rules.get(rule)
        return switch is None or switch.enabled

    def severity(self, rule: str) -> str:
        switch = self.rules.get(rule)
        return (switch.severity if switch and switch.severity else None) or RULES[rule][0]
