"""The only module of the hub that imports pymodbus (barrier PLCs, weighbridge indicators).

pymodbus is pinned to 3.16 because its API moves within 3.x; everything it offers is wrapped here in
two small classes: `ModbusConnection` (the hub's side: one lock per connection, keyword arguments,
every reply checked with isError() and for its length) and `ModbusDeviceServer` (a simulated device:
four plain register tables that a simulator reads and writes, served over Modbus TCP). Imported only by
integrations that talk Modbus, so `import hub` stays light.

A connection is Modbus TCP, RTU framed over a TCP gateway (`rtuovertcp`), or RTU on a serial port
(`serial`, any pyserial URL; pyserial is needed only then). A connection is a bus: devices behind a
gateway share it, each request names its unit, and `message_delay` keeps the silence a serial bus
needs between one answer and the next request.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pymodbus import FramerType
from pymodbus.client import AsyncModbusSerialClient, AsyncModbusTcpClient, ModbusBaseClient
from pymodbus.constants import ExcCodes
from pymodbus.exceptions import ConnectionException, ModbusException, ModbusIOException
from pymodbus.pdu import ModbusPDU
from pymodbus.server import ModbusTcpServer
from pymodbus.simulator import DataType, SimData, SimDevice

_LOGGER = logging.getLogger(__name__)
# pymodbus logs every failed request at ERROR with a dump of raw frames and no device name; the
# integration logs one clear line per device instead, so only pymodbus' critical lines get through.
logging.getLogger("pymodbus").setLevel(logging.CRITICAL)

BitTable = Literal["coils", "discrete_inputs"]
RegisterTable = Literal["holding_registers", "input_registers"]

EXCEPTION_TEXT = {
    1: "illegal function",
    2: "illegal data address",
    3: "illegal data value",
    4: "device failure",
    5: "acknowledge",
    6: "device busy",
    10: "gateway path unavailable",
    11: "gateway target did not respond",
}


class ModbusError(Exception):
    """The device did not answer, or answered something that is not what was asked for."""


class ModbusRefused(ModbusError):
    """The device answered with a Modbus exception: it is there, but will not do this one request."""


Transport = Literal["tcp", "rtuovertcp", "serial"]


@dataclass(frozen=True)
class SerialLine:
    baudrate: int = 9600
    bytesize: int = 8
    parity: str = "N"
    stopbits: int = 1


class ModbusConnection:
    """One connection to one Modbus device or bus; requests are serialised by one lock."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        unit_id: int,
        timeout: float,
        name: str,
        transport: Transport = "tcp",
        serial: SerialLine | None = None,
        message_delay: float = 0.0,
    ) -> None:
        self.host, self.port, self.unit_id, self.name = host, port, unit_id, name
        self.transport = transport
        self._serial = serial or SerialLine()
        self._timeout = timeout
        self._delay = message_delay
        self._lock = asyncio.Lock()
        self._client: ModbusBaseClient | None = None

    @property
    def connected(self) -> bool:
        return self._client is not None and self._client.connected

    def __str__(self) -> str:
        where = self.host if self.transport == "serial" else f"{self.host}:{self.port}"
        return f"{self.name} ({where} unit {self.unit_id})"

    def _make_client(self) -> ModbusBaseClient:
        # reconnect_delay=0: the integration runs its own backoff, so pymodbus must not reconnect behind it.
        common: dict[str, Any] = {
            "name": self.name, "timeout": self._timeout, "retries": 0, "reconnect_delay": 0,
            "reconnect_delay_max": 0,
        }  # fmt: skip
        if self.transport == "serial":
            s = self._serial
            return AsyncModbusSerialClient(
                self.host, framer=FramerType.RTU, baudrate=s.baudrate, bytesize=s.bytesize,
                parity=s.parity, stopbits=s.stopbits, **common,
            )  # fmt: skip
        framer = FramerType.RTU if self.transport == "rtuovertcp" else FramerType.SOCKET
        return AsyncModbusTcpClient(self.host, port=self.port, framer=framer, **common)

    async def async_connect(self) -> None:
        self.close()
        client = self._make_client()
        try:
            ok = await client.connect()
        except (OSError, ModbusException) as err:
            client.close()
            raise ModbusError(f"{self}: cannot connect: {err}") from err
        if not ok:
            client.close()
            raise ModbusError(f"{self}: cannot connect")
        self._client = client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    async def _async_request(
        self, what: str, request: Callable[[ModbusBaseClient], Awaitable[ModbusPDU]]
    ) -> ModbusPDU:
        async with self._lock:
            client = self._client
            if client is None or not client.connected:
                raise ModbusError(f"{self}: not connected ({what})")
            try:
                reply = await request(client)
            except (TimeoutError, ModbusIOException) as err:
                # pymodbus drops replies it cannot parse, so garbage and silence both end here.
                raise ModbusError(f"{self}: {what}: no valid reply within {self._timeout:g} s") from err
            except (ConnectionException, OSError) as err:
                raise ModbusError(f"{self}: {what}: connection lost ({err})") from err
            except ModbusException as err:
                raise ModbusError(f"{self}: {what}: bad reply ({err})") from err
            finally:
                if self._delay:  # the bus's silence before the next request, under the lock
                    await asyncio.sleep(self._delay)
        if reply is None:
            raise ModbusError(f"{self}: {what}: no reply")
        if reply.isError():
            code = getattr(reply, "exception_code", 0)
            text = EXCEPTION_TEXT.get(code, "unknown exception")
            raise ModbusRefused(f"{self}: {what}: refused with exception {code} ({text})")
        return reply

    async def async_read_bits(
        self, table: BitTable, address: int, count: int, unit: int | None = None
    ) -> list[bool]:
        what = f"read {table} {address}+{count}"
        device = self.unit_id if unit is None else unit
        if table == "coils":
            reply = await self._async_request(
                what, lambda c: c.read_coils(address, count=count, device_id=device)
            )
        else:
            reply = await self._async_request(
                what, lambda c: c.read_discrete_inputs(address, count=count, device_id=device)
            )
        bits = list(getattr(reply, "bits", None) or [])
        if len(bits) < count:
            raise ModbusError(f"{self}: {what}: reply has {len(bits)} bits")
        return [bool(b) for b in bits[:count]]

    async def async_read_registers(
        self, table: RegisterTable, address: int, count: int, unit: int | None = None
    ) -> list[int]:
        what = f"read {table} {address}+{count}"
        device = self.unit_id if unit is None else unit
        if table == "holding_registers":
            reply = await self._async_request(
                what, lambda c: c.read_holding_registers(address, count=count, device_id=device)
            )
        else:
            reply = await self._async_request(
                what, lambda c: c.read_input_registers(address, count=count, device_id=device)
            )
        registers = list(getattr(reply, "registers", None) or [])
        if len(registers) != count:
            raise ModbusError(f"{self}: {what}: reply has {len(registers)} registers")
        return registers

    async def async_write_coil(self, address: int, value: bool, unit: int | None = None) -> None:
        device = self.unit_id if unit is None else unit
        await self._async_request(
            f"write coil {address}={int(value)}",
            lambda c: c.write_coil(address, value, device_id=device),
        )

    async def async_write_registers(self, address: int, values: list[int], unit: int | None = None) -> None:
        device = self.unit_id if unit is None else unit
        await self._async_request(
            f"write holding registers {address}+{len(values)}",
            lambda c: c.write_registers(address, values, device_id=device),
        )


# ----- the simulated device ----------------------------------------------------------------------
TABLE_OF_FUNCTION = {1: "coils", 5: "coils", 15: "coils", 2: "discrete_inputs"}
TABLE_OF_FUNCTION |= {3: "holding_registers", 6: "holding_registers", 16: "holding_registers"}
TABLE_OF_FUNCTION |= {22: "holding_registers", 23: "holding_registers", 4: "input_registers"}


@dataclass
class RegisterTables:
    """A device's memory as plain lists, which the simulator owns and changes as it likes."""

    size: int = 256
    coils: list[bool] = field(default_factory=list)
    discrete_inputs: list[bool] = field(default_factory=list)
    holding_registers: list[int] = field(default_factory=list)
    input_registers: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.size = (self.size + 15) // 16 * 16  # bit tables are served in 16-bit words
        for name, empty in (("coils", False), ("discrete_inputs", False)):
            setattr(self, name, [empty] * self.size)
        self.holding_registers = [0] * self.size
        self.input_registers = [0] * self.size


WriteHook = Callable[[str, int, list[int] | list[bool]], None]


class ModbusDeviceServer:
    """A Modbus TCP server over `RegisterTables`.

    `on_write(table, address, values)` runs after a client wrote. `refuse` (an exception code or None)
    makes every request fail with that code; `answering = False` swallows replies (a device that hangs);
    `garble = True` replies bytes that are no Modbus frame (a broken gateway).
    """

    def __init__(
        self,
        tables: RegisterTables,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        on_write: WriteHook | None = None,
        rtu: bool = False,
    ) -> None:
        self.tables = tables
        self.host = host
        self.port = port
        self.on_write = on_write
        self.rtu = rtu  # RTU frames over TCP: a serial gateway, or a serial line through socket://
        self.refuse: int | None = None
        self.answering = True
        self.garble = False
        self._server: ModbusTcpServer | None = None

    def _device(self) -> SimDevice:
        bits = [False] * self.tables.size
        words = [0] * self.tables.size
        return SimDevice(
            id=0,  # answers every unit id, as a single PLC behind its own IP does
            simdata=(
                [SimData(0, values=list(bits), datatype=DataType.BITS)],
                [SimData(0, values=list(bits), datatype=DataType.BITS)],
                [SimData(0, values=list(words), datatype=DataType.REGISTERS)],
                [SimData(0, values=list(words), datatype=DataType.REGISTERS)],
            ),
            action=self._action,
        )

    async def _action(
        self,
        function_code: int,
        start_address: int,
        address: int,
        count: int,
        current: list[int],
        set_values: list[int] | list[bool] | None,
    ) -> ExcCodes | None:
        """Sync pymodbus' memory with the tables on every request (bit tables: 16 bits a word)."""
        if self.refuse:
            return ExcCodes(self.refuse)
        table = TABLE_OF_FUNCTION.get(function_code)
        if table is None:
            return ExcCodes.ILLEGAL_FUNCTION
        values = getattr(self.tables, table)
        if table in ("coils", "discrete_inputs"):
            for word in range(min(len(current) - 1, len(values) // 16)):
                current[word] = sum(1 << i for i, bit in enumerate(values[word * 16 : word * 16 + 16]) if bit)
        else:
            current[: len(values)] = values
        if set_values:
            if address + len(set_values) > len(values):
                return ExcCodes.ILLEGAL_ADDRESS
            if table in ("coils", "discrete_inputs"):
                values[address : address + len(set_values)] = [bool(v) for v in set_values]
            else:
                values[address : address + len(set_values)] = [int(v) & 0xFFFF for v in set_values]
            if self.on_write is not None:
                try:
                    self.on_write(table, address, list(set_values))
                except Exception:
                    _LOGGER.exception("Simulated device on %s: write hook failed", self.port)
        return None

    def _trace_packet(self, sending: bool, data: bytes) -> bytes:
        if not sending:
            return data
        if not self.answering:
            return b""
        if self.garble:
            return b"\x00\x01garbage\xff" + bytes(reversed(data))
        return data

    async def async_start(self) -> int:
        """Listen; returns the port (a free one when configured as 0)."""
        self._server = ModbusTcpServer(
            self._device(), address=(self.host, self.port), trace_packet=self._trace_packet,
            framer=FramerType.RTU if self.rtu else FramerType.SOCKET,
        )  # fmt: skip
        await self._server.serve_forever(background=True)
        transport = self._server.transport
        sockets = getattr(transport, "sockets", None)
        if sockets:
            self.port = sockets[0].getsockname()[1]
        return self.port

    async def async_stop(self) -> None:
        if self._server is not None:
            await self._server.shutdown()
            self._server = None
