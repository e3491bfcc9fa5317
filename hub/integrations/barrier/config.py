"""The barrier section of configuration.yaml: one entry per lane, each with its PLC's register map.

Every PLC program differs, so every address is configurable; the defaults are the map that the
simulated PLC serves (and a common layout of 道闸 controllers with a Modbus TCP module).
"""

from __future__ import annotations

import codecs
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hub.core.gate import LaneRef, configured_twice

from .const import DEFAULT_DISPLAY_SECONDS, DEFAULT_SCAN_SECONDS, DEFAULT_TIMEOUT

Address = Annotated[int, Field(ge=0, le=65535)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RegisterMap(_Strict):
    """Where the PLC keeps what: coils are pulsed or held, inputs are read every scan."""

    unit_id: int = Field(1, ge=0, le=247)
    open_coil: Address = 0  # pulsed: the arm goes up
    close_coil: Address | None = 1  # pulsed: the arm goes down (None: the barrier closes by itself)
    alarm_coil: Address | None = 2  # held while the sound/light alarm runs
    pulse_seconds: float = Field(0.5, gt=0, le=10)
    # Position inputs: bits of a bit table (address = inputs_address + offset), or bits of one status
    # word of a register table (address = inputs_address, offset = bit number 0..15).
    inputs: Literal["discrete_inputs", "coils", "holding_registers", "input_registers"] = "discrete_inputs"
    inputs_address: Address = 0
    open_input: int | None = Field(0, ge=0, le=255)  # upper limit switch
    closed_input: int | None = Field(1, ge=0, le=255)  # lower limit switch
    opening_input: int | None = Field(2, ge=0, le=255)  # motor running up
    closing_input: int | None = Field(3, ge=0, le=255)  # motor running down
    fault_input: int | None = Field(4, ge=0, le=255)  # motor overload, arm knocked off, ...

    @model_validator(mode="after")
    def _inputs_fit(self) -> RegisterMap:
        offsets = self.input_offsets()
        if self.open_input is None and self.closed_input is None:
            raise ValueError("needs open_input or closed_input: the position cannot be known otherwise")
        if self.inputs in ("holding_registers", "input_registers") and max(offsets.values()) > 15:
            raise ValueError("inputs in a status word are bit numbers 0..15")
        return self

    def input_offsets(self) -> dict[str, int]:
        named = {
            "open": self.open_input,
            "closed": self.closed_input,
            "opening": self.opening_input,
            "closing": self.closing_input,
            "fault": self.fault_input,
        }
        return {name: offset for name, offset in named.items() if offset is not None}


class DisplayConfig(_Strict):
    """The lane's LED display: text in holding registers of the PLC, or a TCP text display."""

    kind: Literal["modbus", "tcp", "none"] = "modbus"
    encoding: str = "gb2312"
    idle_text: str = ""  # shown when a message's time is up
    default_seconds: float = Field(DEFAULT_DISPLAY_SECONDS, gt=0, le=3600)
    # kind modbus: the text's bytes, two a register, then its byte count in length_register.
    text_address: Address = 100
    text_registers: int = Field(32, ge=1, le=123)  # 123: the most one write may carry
    length_register: Address | None = 99
    byte_order: Literal["high_first", "low_first"] = "high_first"
    # kind tcp: a display controller that takes one line of text per message.
    host: str | None = None
    port: int | None = Field(None, ge=1, le=65535)
    line_end: str = "\r\n"

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str) -> str:
        try:
            codecs.lookup(value)
        except LookupError:
            raise ValueError(f"unknown text encoding {value!r}") from None
        return value


class SimulatorConfig(_Strict):
    """The simulated PLC started in-process for this lane (the demo, or a bench without hardware)."""

    travel_seconds: float = Field(3.0, ge=0, le=60)
    # Demo only: a real barrier closes by its loop detector once the vehicle passed; the simulated
    # one closes this long after it reached open. None: it stays open until told to close.
    auto_close_seconds: float | None = Field(None, ge=0, le=3600)


class BarrierLane(LaneRef):
    name: str | None = None
    host: str = "127.0.0.1"
    port: int | None = Field(None, ge=0, le=65535)  # default 502; 0 with a simulator: a free port
    scan_seconds: float = Field(DEFAULT_SCAN_SECONDS, ge=0.05, le=60)
    timeout: float = Field(DEFAULT_TIMEOUT, gt=0, le=30)
    registers: RegisterMap = Field(default_factory=RegisterMap)
    display: DisplayConfig = Field(default_factory=DisplayConfig)
    simulator: bool | SimulatorConfig = False

    @model_validator(mode="after")
    def _display_needs(self) -> BarrierLane:
        if (
            self.display.kind == "tcp"
            and not self.simulator
            and not (self.display.host and self.display.port)
        ):
            raise ValueError("display kind tcp needs `host` and `port`")
        return self

    @property
    def simulator_config(self) -> SimulatorConfig | None:
        if self.simulator is True:
            return SimulatorConfig()
        return self.simulator or None


class BarrierConfig(_Strict):
    lanes: list[BarrierLane] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> BarrierConfig:
        if twice := configured_twice(self.lanes):
            raise ValueError(f"lane configured twice: {', '.join(twice)}")
        return self
