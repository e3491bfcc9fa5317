"""The `uplink:` section of configuration.yaml: the plant's identity and one entry per platform."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

# "realtime", "every 300" (seconds), or "HH:MM" (daily, in the platform's time zone)
Schedule = Annotated[str, Field(pattern=r"^(realtime|every \d+(\.\d+)?|([01]\d|2[0-3]):[0-5]\d)$")]
# A platform's name is part of entity ids (sensor.uplink_<name>_pending): lower-case ASCII.
PlatformName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")]


class PlantIdentity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field("", max_length=64)  # discharge-unit code (HJ 608-2017), or what the platform assigned
    name: str = Field("", max_length=100)
    region: str = Field("", max_length=12)  # GB/T 2260 region code


class RetryConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    initial_seconds: float = Field(2.0, gt=0, le=3600)
    max_seconds: float = Field(300.0, gt=0, le=24 * 3600)
    # While records wait, attempts (a cheap probe of the port first) come at least this often, so that
    # the backlog goes out within seconds of the platform's return.
    waiting_max_seconds: float = Field(5.0, gt=0, le=3600)
    request_timeout: float = Field(30.0, gt=0, le=600)


class SimulatorOptions(BaseModel):
    """An in-process platform simulator for this platform (demo, tests): it listens on the url's port."""

    model_config = ConfigDict(extra="forbid")

    token_seconds: int = Field(7200, ge=1)
    slow_seconds: float = Field(0, ge=0, le=60)
    reject_plates: list[str] = Field(default_factory=list)  # records with these plates are rejected


class PlatformConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: PlatformName
    title: str | None = Field(None, max_length=64)  # shown to people: 省级监管平台
    profile: str = "default"  # a profile shipped in uplink/profiles, or a YAML file (config dir relative)
    url: str = Field(pattern=r"^(https?|tcp)://[^/\s:]+(:\d+)?(/\S*)?$")
    account: str | None = Field(None, max_length=64)
    key: str | None = Field(None, max_length=256)  # token auth: fetched with account + key
    secret: str | None = Field(None, max_length=256)  # signed requests (HMAC)
    plant_code: str | None = Field(None, max_length=64)  # this platform's id of the plant
    enabled: bool = True
    simulator: bool | SimulatorOptions = False
    batch_size: int | None = Field(None, ge=1, le=1000)
    photos: Literal["inline", "separate", "none"] | None = None
    schedule: dict[str, Schedule] = Field(default_factory=dict)  # overrides the profile's schedule
    codes: dict[str, dict[str, Any]] = Field(default_factory=dict)  # e.g. gate: {east_gate: "01"}
    # Which platform answers become acceptance rows in the ledger (every passage, or only rejections).
    acceptance_rows: Literal["all", "passages", "rejected", "none"] = "passages"
    on_time_minutes: int = Field(60, ge=1, le=24 * 60)  # acknowledged within this: counted on time
    verify_tls: bool = True
    heartbeat_seconds: float | None = Field(None, gt=0, le=3600)  # TCP: overrides the profile's
    vehicle_check: bool = True  # answer the policy's online checks, where the profile offers them
    retry: RetryConfig = Field(default_factory=RetryConfig)

    @property
    def simulator_options(self) -> SimulatorOptions | None:
        if self.simulator is True:
            return SimulatorOptions()
        return self.simulator or None

    @property
    def label(self) -> str:
        return self.title or self.name


class UplinkConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plant: PlantIdentity = Field(default_factory=PlantIdentity)
    platforms: list[PlatformConfig] = Field(default_factory=list)
    schedule_check_seconds: float = Field(30, gt=0, le=3600)  # how often scheduled work is looked at
    control_poll_seconds: float = Field(60, gt=0, le=3600)  # HTTP platforms: pull the control measure
    idle_poll_seconds: float = Field(60, gt=0, le=3600)  # look at the ledger even without a wake-up
    stop_grace_seconds: float = Field(10, ge=0, le=120)  # on stop, let a request in flight finish

    @model_validator(mode="after")
    def _unique(self) -> UplinkConfig:
        names = [p.name for p in self.platforms]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"platform names must be unique: {', '.join(twice)}")
        return self
