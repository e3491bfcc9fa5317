"""The `opcua:` section of configuration.yaml: our server, and clients that read existing SCADA tags."""

from __future__ import annotations

from typing import Literal

from asyncua import ua
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.core.gate import LaneRef, Slug

from .const import DEFAULT_HOST, DEFAULT_PORT


def parse_node_id(text: str) -> ua.NodeId:
    """`ns=2;s=WB1.Weight`, `i=2258`, or `nsu=<namespace uri>;s=...` (index looked up on connect)."""
    try:
        return ua.NodeId.from_string(text.strip())
    except Exception as err:  # asyncua raises its own parsing error with the detail
        raise ValueError(f"not an OPC UA node id: {text!r} ({err})") from None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TagConfig(_Strict):
    """One tag of a plant PLC/SCADA server, shown as `sensor.<key>` or `binary_sensor.<key>`."""

    node_id: str = Field(min_length=3, max_length=500)  # "ns=2;s=WB1.Weight" or "nsu=urn:plc;i=1001"
    key: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    name: str | None = None
    platform: Literal["sensor", "binary_sensor", "switch", "number", "text", "button", "cover"] = "sensor"
    unit_of_measurement: str | None = None
    device_class: str | None = None
    # A PLC often keeps 0.1 kg or 0.01 t in an integer: value * scale + offset.
    scale: float = 1.0
    offset: float = 0.0
    precision: int | None = Field(None, ge=0, le=9)
    invert: bool = False  # binary_sensor: on when the tag is false (a normally-closed contact)
    # Writable kinds (switch, number, text, button, cover): the tag written; default node_id. A cover
    # reads its position or status from node_id and writes its command here. Every write is read back.
    write_node_id: str | None = Field(None, min_length=3, max_length=500)
    payload_on: bool | int | float | str = True  # switch: what on and off are in the tag
    payload_off: bool | int | float | str = False
    press_value: bool | int | float | str = True  # button: written on each press
    minimum: float | None = None  # number: the range a caller may set
    maximum: float | None = None
    # cover: the command values, and what the status tag's values mean (open, closed, opening,
    # closing); without `cover_states` the status tag is a position in percent (0 shut, 100 open).
    command_open: bool | int | float | str = 1
    command_close: bool | int | float | str = 2
    command_stop: bool | int | float | str | None = None
    cover_states: dict[str, Literal["open", "closed", "opening", "closing"]] | None = None

    @field_validator("node_id", "write_node_id")
    @classmethod
    def _parses(cls, value: str | None) -> str | None:
        if value is not None:
            parse_node_id(value)  # raises ValueError with the reason
        return value

    @model_validator(mode="after")
    def _cover_writes(self) -> TagConfig:
        if self.platform == "cover" and self.write_node_id is None:
            raise ValueError("a cover needs write_node_id (the command tag) besides node_id (its status)")
        return self


class ClientConfig(_Strict):
    """A plant OPC UA server whose tags the hub reads (a weighbridge PLC, a loop detector ...)."""

    name: Slug
    url: str = Field(pattern=r"^opc\.tcp://")
    username: str | None = None
    password: str | None = None
    # Basic256Sha256; sign and sign_and_encrypt use a client certificate made on first start.
    security: Literal["none", "sign", "sign_and_encrypt"] = "none"
    publishing_interval: float = Field(0.5, ge=0.05, le=60)  # seconds
    timeout: float = Field(4.0, gt=0, le=60)
    watchdog_seconds: float = Field(2.0, ge=0.1, le=60)  # how often the connection is probed
    tags: list[TagConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> ClientConfig:
        keys = [t.key for t in self.tags]
        twice = sorted({k for k in keys if keys.count(k) > 1})
        if twice:
            raise ValueError(f"tag key used twice: {', '.join(twice)}")
        if (self.username is None) != (self.password is None):
            raise ValueError("username and password go together")
        return self


class OpcUaConfig(_Strict):
    server: bool = True  # false: only the client side runs
    host: str = DEFAULT_HOST  # the address to listen on; 0.0.0.0 for every interface
    port: int = Field(DEFAULT_PORT, ge=0, le=65535)  # 0: a free port (tests, benchmarks)
    # The host name in the endpoint URL and the certificate; default: host (or this machine's name).
    hostname: str | None = None
    server_name: str = "EcoGate Hub"
    # Without the None policy every connection is signed (Basic256Sha256 Sign / SignAndEncrypt).
    allow_none_policy: bool = False
    # Client application certificates are checked against <data_dir>/opcua/pki/trusted (`ecogate opcua
    # trust`). True trusts every new one on first sight: for the demo and tests only, never a plant.
    auto_trust_clients: bool = False
    # The UploadBacklog alarm is active while more records than this wait for the platforms.
    backlog_alarm: int = Field(1000, ge=1, le=10_000_000)
    # Anonymous sessions may browse, read and subscribe, never call a method.
    allow_anonymous: bool = False
    # Lanes to show even before their entities exist; others are found in the configuration and states.
    lanes: list[LaneRef] = Field(default_factory=list)
    clients: list[ClientConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> OpcUaConfig:
        names = [c.name for c in self.clients]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"client name used twice: {', '.join(twice)}")
        return self
