"""The rfid section of configuration.yaml: one entry per reader."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .const import REPEAT_SECONDS


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SerialPort(_Strict):
    baudrate: int = Field(57600, ge=300, le=921600)  # UHFReader18 readers default to 57600
    bytesize: Literal[7, 8] = 8
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1


class Reader(_Strict):
    """One reader. Its sensor is `sensor.<name>_tag`; bind it as a lane's `rfid` part."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")  # e.g. west_in_rfid
    source: Literal["tcp", "serial"] = "tcp"
    host: str = "127.0.0.1"
    port: int | None = Field(None, ge=0, le=65535)  # tcp; 0 only with the simulator
    device: str | None = None  # serial: /dev/ttyUSB0, or a pyserial URL
    serial: SerialPort = Field(default_factory=SerialPort)
    protocol: Literal["line", "frame"] = "line"
    repeat_seconds: float = Field(REPEAT_SECONDS, ge=0, le=600)
    timeout: float = Field(5.0, gt=0, le=60)  # connecting
    simulator: bool = False  # a simulated reader in-process (the demo and the tests)
    # Where it is mounted; a simulated reader there reports the tag of each vehicle the demo's traffic
    # sends to that lane (vehicle_arrived), as the weighbridge simulator weighs them.
    gate: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{0,31}$")
    lane: str | None = Field(None, pattern=r"^[a-z][a-z0-9_]{0,31}$")

    @model_validator(mode="after")
    def _where(self) -> Reader:
        if self.simulator:
            if self.source != "tcp":
                raise ValueError("the simulator is a TCP reader; use source: tcp")
        elif self.source == "tcp" and not self.port:
            raise ValueError("a TCP reader needs its port")
        elif self.source == "serial" and not self.device:
            raise ValueError("a serial reader needs its device (e.g. /dev/ttyUSB0)")
        if (self.gate is None) != (self.lane is None):
            raise ValueError("give both gate and lane, or neither")
        return self


class RfidConfig(_Strict):
    readers: list[Reader] = Field(default_factory=list, max_length=64)

    @model_validator(mode="after")
    def _unique(self) -> RfidConfig:
        names = [r.name for r in self.readers]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"reader names must be unique: {', '.join(twice)}")
        return self
