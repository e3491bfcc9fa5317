"""The `modbus:` section: devices (a TCP device, an RTU gateway, a serial bus) and their register maps."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.core.gate import Slug
from hub.util.registers import DataType, WordOrder

from .const import SERIAL_MESSAGE_DELAY

Key = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
Address = Annotated[int, Field(ge=0, le=65535)]
Value = int | float | bool


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Entity(_Strict):
    key: Key  # the entity is <platform>.<key>
    name: str | None = Field(None, max_length=100)
    unit_id: int | None = Field(None, ge=0, le=247)  # a device behind a gateway; default the device's
    device_class: str | None = Field(None, max_length=40)


class _Number(_Entity):
    address: Address
    data_type: DataType = "uint16"
    word_order: WordOrder = "high_first"
    scale: float = 1.0  # value * scale + offset (a PLC keeps 0.1 kg in an integer: 0.1)
    offset: float = 0.0
    precision: int | None = Field(None, ge=0, le=9)
    unit_of_measurement: str | None = Field(None, max_length=32)


class SensorConfig(_Number):
    table: Literal["holding_registers", "input_registers"] = "holding_registers"


class NumberConfig(_Number):
    minimum: float | None = None
    maximum: float | None = None


class BinarySensorConfig(_Entity):
    table: Literal["coils", "discrete_inputs", "holding_registers", "input_registers"] = "discrete_inputs"
    address: Address
    bit: int | None = Field(None, ge=0, le=15)  # a bit of a register
    invert: bool = False


class SwitchConfig(_Entity):
    """A coil, or a holding register with on/off values; written, then read back."""

    table: Literal["coils", "holding_registers"] = "coils"
    address: Address
    command_on: int = 1
    command_off: int = 0


class CoverConfig(_Entity):
    """A barrier or door: a command register (or an open and a close coil) written, a status read."""

    command_table: Literal["coils", "holding_registers"] = "holding_registers"
    command_address: Address  # coils: the open coil
    close_address: Address | None = None  # coils: the close coil
    command_open: int = 1
    command_close: int = 2
    command_stop: int | None = None
    status_table: Literal["holding_registers", "input_registers"] = "holding_registers"
    status_address: Address
    # status value -> state; without it the status is a position in percent (0 closed, 100 open)
    states: dict[int, Literal["open", "closed", "opening", "closing"]] | None = None

    @model_validator(mode="after")
    def _coils(self) -> CoverConfig:
        if self.command_table == "coils" and self.close_address is None:
            raise ValueError("a cover commanded by coils needs close_address (the close coil)")
        return self


class TextConfig(_Entity):
    """An LED display's text in holding registers (GB2312 bytes, two to a register)."""

    address: Address
    registers: int = Field(16, ge=1, le=120)
    encoding: str = "gb2312"
    byte_order: Literal["high_first", "low_first"] = "high_first"


class SerialSettings(_Strict):
    baudrate: int = Field(9600, ge=300, le=921600)
    bytesize: Literal[7, 8] = 8
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1


class DeviceConfig(_Strict):
    name: Slug
    transport: Literal["tcp", "rtuovertcp", "serial"] = "tcp"
    host: str = "127.0.0.1"  # tcp and rtuovertcp
    port: int = Field(502, ge=1, le=65535)
    device: str | None = None  # serial: /dev/ttyUSB0, COM3, or any pyserial URL
    serial: SerialSettings = Field(default_factory=SerialSettings)
    unit_id: int = Field(1, ge=0, le=247)
    timeout: float = Field(3.0, gt=0, le=60)
    scan_seconds: float = Field(1.0, ge=0.05, le=3600)
    message_delay: float | None = Field(None, ge=0, le=2)  # default 30 ms on RTU buses, none on TCP
    sensors: list[SensorConfig] = Field(default_factory=list)
    binary_sensors: list[BinarySensorConfig] = Field(default_factory=list)
    switches: list[SwitchConfig] = Field(default_factory=list)
    numbers: list[NumberConfig] = Field(default_factory=list)
    covers: list[CoverConfig] = Field(default_factory=list)
    texts: list[TextConfig] = Field(default_factory=list)

    @model_validator(mode="after")
    def _check(self) -> DeviceConfig:
        if self.transport == "serial" and not self.device:
            raise ValueError("transport serial needs `device`")
        return self

    @property
    def delay(self) -> float:
        if self.message_delay is not None:
            return self.message_delay
        return 0.0 if self.transport == "tcp" else SERIAL_MESSAGE_DELAY

    @property
    def where(self) -> str:
        return (self.device or "") if self.transport == "serial" else f"{self.host}:{self.port}"


class ModbusConfig(_Strict):
    devices: list[DeviceConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> ModbusConfig:
        names = [d.name for d in self.devices]
        if twice := sorted({n for n in names if names.count(n) > 1}):
            raise ValueError(f"device name used twice: {', '.join(twice)}")
        ids: list[str] = []
        for d in self.devices:
            for platform, items in (("sensor", d.sensors), ("binary_sensor", d.binary_sensors),
                                    ("switch", d.switches), ("number", d.numbers), ("cover", d.covers),
                                    ("text", d.texts)):  # fmt: skip
                ids += [f"{platform}.{item.key}" for item in items]
        if twice := sorted({i for i in ids if ids.count(i) > 1}):
            raise ValueError(f"entity configured twice: {', '.join(twice)}")
        return self
