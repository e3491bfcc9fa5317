"""A simulated barrier PLC: a Modbus TCP server that behaves like a 道闸 controller.

A pulse on the open (close) coil starts the arm; it travels for `travel_seconds` with the opening
(closing) input on, then sets the limit switch. The alarm coil and the display registers are plain
memory that the hub writes and anyone may read back. Faults on demand: the fault input, exception
replies, replies that are no Modbus at all, or no reply. With `auto_close_seconds` (the demo) the arm
closes by itself that long after it opened, as a real one does once its loop detector is clear.

Run alone: `python -m hub.integrations.barrier.simulator --port 1502` (type `help` for commands).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys

from hub.util.modbus import ModbusDeviceServer, RegisterTables
from hub.util.registers import unpack_registers

from .config import DisplayConfig, RegisterMap, SimulatorConfig

_LOGGER = logging.getLogger(__name__)
TICK = 0.05


class SimulatedBarrierPlc:
    def __init__(
        self,
        registers: RegisterMap | None = None,
        display: DisplayConfig | None = None,
        options: SimulatorConfig | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        name: str = "barrier",
    ) -> None:
        self.map = registers or RegisterMap()
        self.display = display or DisplayConfig()
        self.options = options or SimulatorConfig()
        self.name = name
        highest = max(
            self.map.inputs_address + 16,
            self.map.open_coil,
            self.map.close_coil or 0,
            self.map.alarm_coil or 0,
            self.display.text_address + self.display.text_registers,
            self.display.length_register or 0,
        )
        self.tables = RegisterTables(size=highest + 1)
        self.server = ModbusDeviceServer(self.tables, host=host, port=port, on_write=self._on_write)
        self.arm = 0.0  # 0 closed, 1 open
        self.motion = 0  # +1 opening, -1 closing
        self.fault = False
        self.tcp_display_text = ""
        self.tcp_display_port: int | None = None
        self._auto_close_at: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._display_server: asyncio.Server | None = None
        self._write_inputs()

    # ----- what an observer (a test, the demo's console) reads back ---------------------------
    @property
    def port(self) -> int:
        return self.server.port

    @property
    def position(self) -> str:
        if self.fault:
            return "fault"
        if self.motion:
            return "opening" if self.motion > 0 else "closing"
        return "open" if self.arm >= 1 else "closed" if self.arm <= 0 else "stopped"

    @property
    def alarm(self) -> bool:
        coil = self.map.alarm_coil
        return coil is not None and self.tables.coils[coil]

    @property
    def display_text(self) -> str:
        """The LED's text as the PLC would render it: the registers decoded in the display's charset."""
        if self.display.kind == "tcp":
            return self.tcp_display_text
        words = self.tables.holding_registers[
            self.display.text_address : self.display.text_address + self.display.text_registers
        ]
        length = None
        if self.display.length_register is not None:
            length = self.tables.holding_registers[self.display.length_register]
        raw = unpack_registers(words, self.display.byte_order, length)
        return raw.decode(self.display.encoding, errors="replace")

    # ----- faults on demand --------------------------------------------------------------------
    def set_fault(self, fault: bool) -> None:
        self.fault = fault
        if fault:
            self.motion = 0
        self._write_inputs()

    def set_answering(self, answering: bool) -> None:
        self.server.answering = answering

    def set_garbled(self, garbled: bool) -> None:
        self.server.garble = garbled

    def set_refusing(self, exception_code: int | None) -> None:
        self.server.refuse = exception_code

    # ----- behaviour ---------------------------------------------------------------------------
    def _on_write(self, table: str, address: int, values: list[int] | list[bool]) -> None:
        if table != "coils":
            return
        for coil, value in enumerate(values, start=address):
            if not value or self.fault:
                continue
            if coil == self.map.open_coil:
                self._start(+1)
            elif coil == self.map.close_coil:
                self._start(-1)

    def _start(self, direction: int) -> None:
        if (direction > 0 and self.arm >= 1) or (direction < 0 and self.arm <= 0):
            return
        self.motion = direction
        self._auto_close_at = None
        if self.options.travel_seconds == 0:
            self._step(1.0)
        self._write_inputs()

    def _step(self, fraction: float) -> None:
        loop = asyncio.get_running_loop()
        self.arm = min(1.0, max(0.0, self.arm + self.motion * fraction))
        if self.motion and self.arm in (0.0, 1.0):
            self.motion = 0
            if self.arm == 1.0 and self.options.auto_close_seconds is not None:
                self._auto_close_at = loop.time() + self.options.auto_close_seconds
        if self._auto_close_at is not None and loop.time() >= self._auto_close_at:
            self._auto_close_at = None
            self._start(-1)

    def _write_inputs(self) -> None:
        states = {
            "open": self.arm >= 1 and not self.motion,
            "closed": self.arm <= 0 and not self.motion,
            "opening": self.motion > 0,
            "closing": self.motion < 0,
            "fault": self.fault,
        }
        offsets = self.map.input_offsets()
        if self.map.inputs in ("discrete_inputs", "coils"):
            table = getattr(self.tables, self.map.inputs)
            for name, offset in offsets.items():
                table[self.map.inputs_address + offset] = states[name]
        else:
            word = sum(1 << offset for name, offset in offsets.items() if states[name])
            getattr(self.tables, self.map.inputs)[self.map.inputs_address] = word

    async def _async_run(self) -> None:
        travel = self.options.travel_seconds
        while True:
            await asyncio.sleep(TICK)
            if not self.fault:
                self._step(TICK / travel if travel else 1.0)
            self._write_inputs()

    # ----- TCP text display --------------------------------------------------------------------
    async def _on_display_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        end = self.display.line_end.encode(self.display.encoding)
        try:
            while line := await reader.readuntil(end):
                self.tcp_display_text = line[: -len(end)].decode(self.display.encoding, errors="replace")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            pass
        finally:
            writer.close()

    # ----- start and stop ----------------------------------------------------------------------
    async def async_start(self) -> int:
        port = await self.server.async_start()
        if self.display.kind == "tcp":
            self._display_server = await asyncio.start_server(
                self._on_display_client, self.server.host, self.display.port or 0
            )
            self.tcp_display_port = self._display_server.sockets[0].getsockname()[1]
        self._task = asyncio.get_running_loop().create_task(self._async_run(), name=f"{self.name} simulator")
        _LOGGER.info("Simulated barrier PLC %s listening on %s:%s", self.name, self.server.host, port)
        return port

    async def async_stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._display_server is not None:
            self._display_server.close()
            self._display_server = None
        await self.server.async_stop()


COMMANDS = {
    "status": "show position, alarm and display",
    "fault on|off": "set or clear the fault input",
    "mute|unmute": "stop or resume answering",
    "garble on|off": "answer with bytes that are no Modbus",
    "refuse CODE|off": "answer every request with an exception code",
    "open|close": "move the arm as if its coil was pulsed",
}


async def _async_console(plc: SimulatedBarrierPlc) -> None:
    loop = asyncio.get_running_loop()
    while True:
        line = await loop.run_in_executor(None, sys.stdin.readline)
        if not line:
            await asyncio.Event().wait()  # stdin closed: keep serving
        words = line.split()
        match words:
            case ["status"]:
                print(f"position={plc.position} alarm={plc.alarm} display={plc.display_text!r}", flush=True)
            case ["fault", flag]:
                plc.set_fault(flag == "on")
            case ["mute"] | ["unmute"]:
                plc.set_answering(words[0] == "unmute")
            case ["garble", flag]:
                plc.set_garbled(flag == "on")
            case ["refuse", code]:
                plc.set_refusing(None if code == "off" else int(code))
            case ["open"] | ["close"]:
                plc._start(+1 if words[0] == "open" else -1)
            case []:
                pass
            case _:
                print("\n".join(f"  {c:18} {h}" for c, h in COMMANDS.items()), flush=True)


async def _async_main(args: argparse.Namespace) -> None:
    display = DisplayConfig(kind=args.display, port=args.display_port) if args.display == "tcp" else None
    plc = SimulatedBarrierPlc(
        display=display,
        options=SimulatorConfig(travel_seconds=args.travel, auto_close_seconds=args.auto_close),
        host=args.host,
        port=args.port,
    )
    port = await plc.async_start()
    extra = f", TCP display on {plc.tcp_display_port}" if plc.tcp_display_port else ""
    print(f"Simulated barrier PLC on {args.host}:{port}{extra}; type help for commands", flush=True)
    try:
        await _async_console(plc)
    finally:
        await plc.async_stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Simulated barrier PLC (Modbus TCP)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=1502)
    parser.add_argument("--travel", type=float, default=3.0, help="seconds the arm takes to move")
    parser.add_argument("--auto-close", type=float, default=None, help="close this long after opening")
    parser.add_argument("--display", choices=["modbus", "tcp"], default="modbus")
    parser.add_argument("--display-port", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_async_main(args))


if __name__ == "__main__":
    main()
