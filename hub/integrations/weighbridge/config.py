"""The weighbridge section of configuration.yaml: one entry per lane's weighbridge indicator."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from hub.core.gate import LaneRef, configured_twice

from .frames import FrameFormat


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModbusMap(_Strict):
    """Where the indicator's Modbus TCP module keeps the weight: a 32-bit count in two registers."""

    unit_id: int = Field(1, ge=0, le=247)
    table: Literal["holding_registers", "input_registers"] = "holding_registers"
    address: int = Field(0, ge=0, le=65534)
    word_order: Literal["high_first", "low_first"] = "high_first"
    signed: bool = True
    kg_per_count: float = Field(1.0, gt=0)  # 10 for an indicator that counts in 10 kg, 0.1 for 100 g


class SerialPort(_Strict):
    baudrate: int = Field(9600, ge=300, le=921600)
    bytesize: Literal[7, 8] = 8
    parity: Literal["N", "E", "O"] = "N"
    stopbits: Literal[1, 2] = 1


class Stability(_Strict):
    readings: int = Field(5, ge=2, le=100)
    band_kg: float = Field(20, ge=0)
    min_kg: float = Field(500, ge=0)  # below this nothing is a vehicle
    zero_kg: float = Field(200, ge=0)  # back below this: the next vehicle may be weighed

    @model_validator(mode="after")
    def _order(self) -> Stability:
        if self.zero_kg >= self.min_kg:
            raise ValueError("zero_kg must be below min_kg")
        return self


class SimulatorConfig(_Strict):
    """The simulated indicator started in-process; in the demo it weighs the lane's traffic."""

    noise_kg: float = Field(6, ge=0)
    division_kg: int = Field(10, ge=1)  # the indicator shows multiples of this
    garbled_share: float = Field(0.02, ge=0, le=1)  # serial form: frames sent damaged
    frames_per_second: float = Field(10, gt=0, le=100)
    arrive_seconds: float = Field(2.0, ge=0)  # vehicle_arrived -> it starts driving on
    drive_on_seconds: float = Field(2.0, ge=0)
    dwell_seconds: float = Field(8.0, ge=0)  # standing on the bridge
    clear_seconds: float = Field(1.0, ge=0)  # empty bridge after one drives off, before the next drives on


class Weighbridge(LaneRef):
    name: str | None = None
    indicator: str = "XK3190"  # the model, carried in weight_stable for the ledger
    source: Literal["modbus", "serial", "tcp"] = "tcp"
    host: str = "127.0.0.1"  # modbus, or a serial server's TCP port (tcp)
    port: int | None = Field(None, ge=0, le=65535)  # 0 with a simulator: a free port
    device: str | None = None  # serial: /dev/ttyUSB0, COM3, or any pyserial URL
    serial: SerialPort = Field(default_factory=SerialPort)
    format: FrameFormat = "yaohua_tf0"
    unit: Literal["kg", "t"] = "kg"  # what the indicator displays (serial and tcp)
    modbus: ModbusMap = Field(default_factory=ModbusMap)
    scan_seconds: float = Field(0.2, ge=0.05, le=10)  # modbus polling
    timeout: float = Field(3.0, gt=0, le=60)  # no valid weight this long: unavailable
    # A load that shows the very same reading this long is an indicator stuck at one value (a truck
    # standing on the bridge still moves the last digit now and then): a problem until it changes.
    stuck_seconds: float = Field(900, ge=1, le=86_400)
    stable: Stability = Field(default_factory=Stability)
    simulator: bool | SimulatorConfig = False

    @model_validator(mode="after")
    def _source_needs(self) -> Weighbridge:
        if self.source == "serial" and not self.device and not self.simulator:
            raise ValueError("source serial needs `device`")
        if self.source == "serial" and self.simulator:
            raise ValueError("the simulator serves tcp or modbus; use source tcp for it")
        if self.source in ("tcp", "modbus") and self.port is None and not self.simulator:
            raise ValueError(f"source {self.source} needs `port`")
        return self

    @property
    def simulator_config(self) -> SimulatorConfig | None:
        if self.simulator is True:
            return SimulatorConfig()
        return self.simulator or None


class WeighbridgeConfig(_Strict):
    bridges: list[Weighbridge] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> WeighbridgeConfig:
        if twice := configured_twice(self.bridges):
            raise ValueError(f"weighbridge configured twice: {', '.join(twice)}")
        return self
