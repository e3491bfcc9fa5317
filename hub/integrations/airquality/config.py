"""The airquality section of configuration.yaml: microstations, remote-sensing units, their doors."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.util.registers import DataType, WordOrder

from .const import FACTOR_BY_KEY

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
DEFAULT_FACTORS = (
    "pm25",
    "pm10",
    "tsp",
    "no2",
    "so2",
    "co",
    "o3",
    "wind_speed",
    "wind_direction",
    "temperature",
    "humidity",
)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _check_key(value: str) -> str:
    if not _KEY.match(value):
        raise ValueError("lower-case letters, digits and _ (at most 40), starting with a letter")
    return value


class Register(_Strict):
    """Where a Modbus microstation keeps one factor; value = raw * scale + offset."""

    address: int = Field(ge=0, le=65534)
    table: Literal["holding_registers", "input_registers"] = "input_registers"
    type: DataType = "float32"
    word_order: WordOrder = "high_first"
    scale: float = 1.0
    offset: float = 0.0


class Push(_Strict):
    """The HTTP push door (stations and remote-sensing units POST JSON to it)."""

    host: str = "127.0.0.1"
    port: int = Field(0, ge=0, le=65535)  # 0: a free port (tests)


class Hj212Server(_Strict):
    host: str = "127.0.0.1"
    port: int = Field(0, ge=0, le=65535)  # 0: a free port (tests, demo)
    max_connections: int = Field(64, ge=1, le=4096)
    idle_seconds: float = Field(900, gt=0)  # a connection silent this long is closed


class StationSimulator(_Strict):
    """The simulated microstation started in-process (HJ 212 over TCP to the hub's server)."""

    interval_seconds: float = Field(30, gt=0, le=3600)  # real-time data (CN=2011) this often
    seed: int = 0
    bearing_from_road: float = Field(90, ge=0, lt=360)  # the station sits this way from the road (deg)
    background_pm25: float = Field(45, ge=0)  # weather-driven background, µg/m³
    minute_data: bool = True  # a 2051 record at each full minute too


class Station(_Strict):
    key: str  # entity ids: sensor.aq_<key>_pm25 ...
    name: str | None = None
    source: Literal["hj212", "modbus", "mqtt", "http"] = "hj212"
    mn: str | None = None  # HJ 212 equipment number (MN)
    password: str | None = None  # HJ 212 PW
    factors: list[str] = Field(default_factory=lambda: list(DEFAULT_FACTORS))
    units: dict[str, str] = Field(default_factory=dict)  # a factor's unit where the station differs
    ignore_codes: list[str] = Field(default_factory=list)  # HJ 212 codes it sends that are dropped
    silence_seconds: float = Field(300, gt=0, le=86_400)  # nothing heard this long: unavailable
    # modbus
    host: str = "127.0.0.1"
    port: int | None = Field(None, ge=0, le=65535)
    unit_id: int = Field(1, ge=0, le=247)
    scan_seconds: float = Field(10, ge=0.05, le=3600)
    timeout: float = Field(3, gt=0, le=60)
    registers: dict[str, Register] = Field(default_factory=dict)
    # mqtt / http: JSON paths (`data.pm25`, `values[0]`) per factor key, and of the data time
    topic: str | None = None
    token: str | None = Field(None, min_length=16, max_length=256)
    fields: dict[str, str] = Field(default_factory=dict)
    time_field: str | None = None
    simulator: bool | StationSimulator = False

    _key = field_validator("key")(_check_key)

    @field_validator("mn", "password", mode="before")
    @classmethod
    def _quoted(cls, value: object) -> object:
        # YAML reads 123456 as a number and 012345 as octal: the station would never match.
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise ValueError(f'write it in quotes, e.g. "{value}": YAML reads bare digits as a number')
        return value

    @field_validator("factors")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        if unknown := [f for f in value if f not in FACTOR_BY_KEY]:
            raise ValueError(f"unknown factor {', '.join(unknown)}; known: {', '.join(FACTOR_BY_KEY)}")
        return value

    @model_validator(mode="after")
    def _source_needs(self) -> Station:
        if self.simulator and self.source != "hj212":
            raise ValueError("the simulator speaks HJ 212: use source hj212 with it")
        needs = {
            "hj212": ("mn", "password"),
            "modbus": ("port", "registers"),
            "mqtt": ("topic", "fields"),
            "http": ("token", "fields"),
        }[self.source]
        if missing := [n for n in needs if not getattr(self, n)]:
            raise ValueError(f"source {self.source} needs {', '.join(missing)}")
        mapped = set(self.registers) | set(self.fields)
        if unknown := sorted(mapped - set(self.factors)):
            raise ValueError(f"mapped factors not in `factors`: {', '.join(unknown)}")
        return self

    @property
    def simulator_config(self) -> StationSimulator | None:
        if self.simulator is True:
            return StationSimulator()
        return self.simulator or None


class RemoteSensingSimulator(_Strict):
    invalid_share: float = Field(0.05, ge=0, le=1)  # readings the unit marks invalid
    plate_share: float = Field(0.9, ge=0, le=1)  # readings with a plate read
    seed: int = 0


RS_FIELDS = (
    "plate",
    "no_ppm",
    "hc_ppm",
    "co_pct",
    "co2_pct",
    "opacity_pct",
    "ringelmann",
    "speed_kmh",
    "accel_ms2",
    "valid",
    "time",
    "reading_id",
    "lane",
)


class RemoteSensingUnit(_Strict):
    """An exhaust remote-sensing unit (尾气遥感) across a road: one reading per passing vehicle."""

    key: str
    name: str | None = None
    site: str | None = None  # where it stands, e.g. 东门进厂道路
    gate: str | None = None  # the lane whose traffic passes it (the simulator listens to that lane)
    lane: str | None = None
    source: Literal["http", "mqtt"] = "http"
    topic: str | None = None
    token: str | None = Field(None, min_length=16, max_length=256)
    # JSON path per reading field where the unit names it differently (default: the field's own name)
    fields: dict[str, str] = Field(default_factory=dict)
    simulator: bool | RemoteSensingSimulator = False

    _key = field_validator("key")(_check_key)

    @model_validator(mode="after")
    def _source_needs(self) -> RemoteSensingUnit:
        if self.source == "http" and not self.token:
            raise ValueError("source http needs token")
        if self.source == "mqtt" and not self.topic:
            raise ValueError("source mqtt needs topic")
        if self.simulator and self.source != "http":
            raise ValueError("the simulator pushes over HTTP: use source http with it")
        if bool(self.gate) != bool(self.lane):
            raise ValueError("gate and lane go together")
        if unknown := sorted(set(self.fields) - set(RS_FIELDS)):
            raise ValueError(f"unknown reading fields {', '.join(unknown)}; known: {', '.join(RS_FIELDS)}")
        return self

    @property
    def simulator_config(self) -> RemoteSensingSimulator | None:
        if self.simulator is True:
            return RemoteSensingSimulator()
        return self.simulator or None


class AirQualityConfig(_Strict):
    hj212: Hj212Server = Field(default_factory=Hj212Server)
    push: Push = Field(default_factory=Push)
    stations: list[Station] = Field(default_factory=list)
    remote_sensing: list[RemoteSensingUnit] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> AirQualityConfig:
        for what, keys in (
            ("station", [s.key for s in self.stations]),
            ("remote-sensing unit", [u.key for u in self.remote_sensing]),
            ("MN", [s.mn for s in self.stations if s.mn]),
        ):
            if twice := sorted({k for k in keys if keys.count(k) > 1}):
                raise ValueError(f"{what} configured twice: {', '.join(str(k) for k in twice)}")
        return self
