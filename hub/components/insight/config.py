"""The `insight:` section: how readings join passages, the limits, and the anomaly rules' thresholds."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Limit(BaseModel):
    """Limits for one fuel (and, where given, emission stages); the first that applies wins."""

    model_config = ConfigDict(extra="forbid")

    fuel: str | None = Field(None, max_length=4)  # None: any fuel
    stages: list[str] = Field(default_factory=list)  # empty: any stage ("4" = 国四)
    opacity_pct: float | None = Field(None, gt=0)
    no_ppm: float | None = Field(None, gt=0)
    hc_ppm: float | None = Field(None, gt=0)
    co_pct: float | None = Field(None, gt=0)

    def applies(self, fuel: str | None, stage: str | None) -> bool:
        return (self.fuel is None or self.fuel == fuel) and (not self.stages or stage in self.stages)


# Remote-sensing limits of GB 3847-2018 (diesel, fuel code B: opacity 30 %, NO 1500 ppm) and
# GB 18285-2018 (other fuels: CO 2.5 %, HC 250 ppm, NO 1500 ppm). A plant sets its own, per stage.
DEFAULT_LIMITS = [
    Limit(fuel="B", opacity_pct=30, no_ppm=1500),
    Limit(co_pct=2.5, hc_ppm=250, no_ppm=1500),
]


class Join(BaseModel):
    model_config = ConfigDict(extra="forbid")

    window_seconds: float = Field(300, gt=0, le=3600)  # a reading and a passage by plate at most this apart
    lane_window_seconds: float = Field(30, gt=0, le=600)  # without a plate: the lane's passage this close
    by_lane: bool = True


class Flagging(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # What a flagged vehicle meets on its next arrival: nothing more than the flag, the blacklist
    # (vehicles.blacklist_add) or the guard's review (vehicles.review_mark_add), source "insight" and
    # audited like every service call, for `deny_days`.
    policy: Literal["never", "deny", "review"] = "never"
    deny_days: float = Field(7, gt=0, le=366)  # how long the blacklist entry or review mark lasts
    exceedances: int = Field(1, ge=1, le=100)  # valid readings over the limit before the policy acts


DEFAULT_RANGES: dict[str, tuple[float, float]] = {
    "pm25": (0.0, 1000.0), "pm10": (0.0, 2000.0), "tsp": (0.0, 5000.0), "no2": (0.0, 2000.0),
    "so2": (0.0, 2000.0), "co": (0.0, 50.0), "o3": (0.0, 1000.0), "wind_speed": (0.0, 60.0),
    "wind_direction": (0.0, 360.0), "temperature": (-50.0, 60.0), "humidity": (0.0, 100.0),
}  # fmt: skip


class Anomalies(BaseModel):
    model_config = ConfigDict(extra="forbid")

    hold_minutes: float = Field(60, gt=0, le=7 * 24 * 60)  # a rule's entity stays on this long after its last
    frequent_window_hours: float = Field(24, gt=0, le=24 * 31)
    frequent_factor: float = Field(3, gt=1)  # entries above this times the fleet's median vehicle
    frequent_min_entries: int = Field(6, ge=2)
    night_start_hour: int = Field(22, ge=0, le=23)
    night_end_hour: int = Field(6, ge=0, le=23)
    night_history_days: int = Field(14, ge=1, le=90)
    night_min_history: int = Field(10, ge=1)  # passages of the fleet before "out of pattern" means anything
    denials_before_release: int = Field(3, ge=1, le=100)
    denials_window_hours: float = Field(24, gt=0, le=24 * 31)
    weights_without_reads: int = Field(3, ge=1, le=100)
    lane_window_minutes: float = Field(30, gt=0, le=24 * 60)
    flat_readings: int = Field(10, ge=3, le=10_000)
    # Temperature, humidity or a calm wind at a station's resolution stay put for a while by nature;
    # the pollutants' noise moves them every reading.
    flat_factors: list[str] = Field(default_factory=lambda: ["pm25", "pm10", "tsp", "no2", "so2", "co", "o3"])
    missing_minutes: float = Field(15, gt=0, le=24 * 60)
    # factor -> [low, high] plausible range; outside it a reading is out of range
    ranges: dict[str, tuple[float, float]] = Field(default_factory=lambda: dict(DEFAULT_RANGES))

    @field_validator("ranges")
    @classmethod
    def _over_defaults(cls, value: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        """A plant names the factors it ranges otherwise; the others keep the defaults."""
        return {**DEFAULT_RANGES, **value}


class InsightConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # "gate/lane" -> a presence detector (induction loop, light barrier): each off -> on is a vehicle
    # seen, like a stable weight, for the lane_without_reads rule.
    loops: dict[Annotated[str, Field(pattern=r"^[a-z0-9_]+/[a-z0-9_]+$")], str] = Field(default_factory=dict)

    join: Join = Field(default_factory=Join)
    limits: list[Limit] = Field(default_factory=lambda: list(DEFAULT_LIMITS))
    flagging: Flagging = Field(default_factory=Flagging)
    anomalies: Anomalies = Field(default_factory=Anomalies)
