"""The `reports:` section of configuration.yaml."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ScheduleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    daily_at: str | None = Field("06:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")  # yesterday's report
    weekly: bool = True  # on Mondays, the week before
    monthly: bool = True  # on the 1st, the month before
    format: str = Field("xlsx", pattern=r"^(xlsx|csv)$")


class ReportsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # 清洁运输比例 target (spec: >= 80% for steel and cement); the ratio is shown against it.
    clean_target: float = Field(0.8, gt=0, le=1)
    folder: str = "reports"  # under the data directory unless absolute
    # A passage photo link in exports; {sha256} is replaced (the HMI's own photo door by default).
    photo_url: str = Field("http://127.0.0.1:8420/api/evidence/{sha256}", max_length=300)
    # The lowest stage an in-plant vehicle / machine may have to be used during an orange alert
    # (grade B defaults: 国四 and below in-plant vehicles and 国二 and below machinery stop).
    alert_min_stage: dict[str, str] = Field(default_factory=lambda: {"in_plant": "5", "machinery": "3"})
    schedule: ScheduleConfig = Field(default_factory=lambda: ScheduleConfig.model_validate({}))
    schedule_enabled: bool = True
